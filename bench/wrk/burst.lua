-- wrk script for the burst drill: paced requests (each connection waits `pace` ms between two),
-- every report from a new address behind one trusted proxy, spread over the services given.
-- Arguments after "--": method, pace in ms, first address number, then service slugs (reports)
-- or one path (reads).
-- setup(), response() and done() come from tally.lua, next to this file.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "tally.lua")

function init(args)
  method = args[1]
  pace = tonumber(args[2])
  n = tonumber(args[3])
  targets = {}
  for i = 4, #args do table.insert(targets, args[i]) end
  statuses = {}
end

function delay()
  return pace
end

function request()
  n = n + 1
  local headers = {
    ["X-Forwarded-For"] = string.format("%d.%d.%d.%d", 11 + n % 200, math.floor(n / 200) % 256,
      math.floor(n / 51200) % 256, 1 + index),
    ["X-Forwarded-Proto"] = "https",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36",
    ["Accept-Encoding"] = "gzip",
  }
  if method == "POST" then
    headers["Content-Type"] = "application/json"
    local slug = targets[1 + n % #targets]
    return wrk.format("POST", "/api/v1/services/" .. slug .. "/reports", headers,
      '{"problem":"login"}')
  end
  return wrk.format("GET", targets[1], headers)
end
