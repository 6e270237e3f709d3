-- wrk script for bench/peers.py: one request shape per run, every response checked for 200.
--
-- The request comes from the environment (each wrk thread reads it into its own Lua state):
--   WRK_METHOD  GET (default) or POST
--   WRK_BODY    request body (POST), e.g. grant_type=client_credentials
--   WRK_AUTH    Authorization header value, e.g. "Basic c2VydmljZTpzZXJ2aWNlLXNlY3JldA=="
--   WRK_CTYPE   Content-Type of the body (default application/x-www-form-urlencoded)
--
-- At the end it prints one machine-readable line:
--   WRKRESULT requests=N non200=N first_non200=STATUS duration_us=N p50_us=N p99_us=N
--             errors_connect=N errors_read=N errors_write=N errors_timeout=N
-- `requests` counts completed responses; `non200` those whose status was not 200.

wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body ~= nil and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = os.getenv("WRK_CTYPE") or "application/x-www-form-urlencoded"
end
local auth = os.getenv("WRK_AUTH")
if auth ~= nil and auth ~= "" then
  wrk.headers["Authorization"] = auth
end
wrk.headers["Accept"] = "application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  first_non200 = 0
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if first_non200 == 0 then
      first_non200 = status
    end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non200") or 0)
    local status = thread:get("first_non200") or 0
    if first == 0 and status ~= 0 then
      first = status
    end
  end
  io.write(string.format(
    "WRKRESULT requests=%d non200=%d first_non200=%d duration_us=%d p50_us=%d p99_us=%d "
      .. "errors_connect=%d errors_read=%d errors_write=%d errors_timeout=%d\n",
    summary.requests, bad, first, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
