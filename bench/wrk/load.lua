-- wrk script for the ingest benchmark: every request from a new address (X-Forwarded-For behind
-- one trusted proxy), spread over /24 networks, and a count of every status code.
-- Arguments after "--": method, path, body ("-" for none), first address number.
-- setup(), response() and done() come from tally.lua, next to this file.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "tally.lua")

function init(args)
  method = args[1]
  path = args[2]
  body = args[3] ~= "-" and args[3] or nil
  n = tonumber(args[4]) or 0
  statuses = {}
end

function request()
  n = n + 1
  -- The first octet turns fastest, so neighbours fall in different /24s; the last octet is the
  -- thread's, so two wrk threads never send the same address.
  local address = string.format("%d.%d.%d.%d", 11 + n % 200, math.floor(n / 200) % 256,
    math.floor(n / 51200) % 256, 1 + index)
  local headers = {
    ["X-Forwarded-For"] = address,
    ["X-Forwarded-Proto"] = "https",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36",
    ["Accept-Encoding"] = "gzip",
  }
  if body then
    headers["Content-Type"] = "application/json"
  end
  return wrk.format(method, path, headers, body)
end
