-- One request shape for wrk, from the environment (set by benchmarks/run.py):
--   WRK_METHOD  GET or POST            WRK_BODY   JSON body (sent with Content-Type: application/json)
--   WRK_AUTH    Authorization value    WRK_LIMIT  stop each thread after this many requests (0: run for -d)
-- Without WRK_LIMIT no request() function is defined, so wrk sends one pre-built request
-- with no Lua call per request (the cheapest way for the load generator).
wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY") or ""
if body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end
local auth = os.getenv("WRK_AUTH") or ""
if auth ~= "" then
  wrk.headers["Authorization"] = auth
end
local limit = tonumber(os.getenv("WRK_LIMIT") or "0") or 0
if limit > 0 then
  local sent = 0
  local req = nil
  request = function()
    if req == nil then req = wrk.format() end
    sent = sent + 1
    if sent >= limit then wrk.thread:stop() end
    return req
  end
end
