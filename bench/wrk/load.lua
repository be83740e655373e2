-- wrk script for the ingest benchmark: every request from a new address (X-Forwarded-For behind
-- one trusted proxy), spread over /24 networks, and a count of every status code.
-- Arguments after "--": method, path, body ("-" for none), first address number.
local threads = {}

function setup(thread)
  thread:set("index", #threads)
  table.insert(threads, thread)
end

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

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      codes[status] = (codes[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(codes) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, ' ..
    '"socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ", ")))
end
