-- One request shape for wrk, from the environment (set by benchmarks/run.py):
--   WRK_METHOD  GET or POST            WRK_BODY   JSON body (sent with Content-Type: application/json)
--   WRK_AUTH    Authorization value    WRK_LIMIT  stop each thread after this many requests (0: run for -d)
--   WRK_NAMESPACES  N > 0: each request carries `x-mock-namespace: ns-I`, I cycling 0..N-1
--                   (each thread starts at a different I)
-- Without WRK_LIMIT and WRK_NAMESPACES no request() function is defined, so wrk sends one
-- pre-built request with no Lua call per request (the cheapest way for the load generator).
-- With WRK_NAMESPACES the N requests are built once per thread; a request is then one table
-- lookup.
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
local namespaces = tonumber(os.getenv("WRK_NAMESPACES") or "0") or 0

local threads = 0
function setup(thread)
  thread:set("thread_index", threads)
  threads = threads + 1
end

if limit > 0 or namespaces > 0 then
  local sent = 0
  local reqs = nil
  local count = 1
  local next_i = 0
  request = function()
    if reqs == nil then
      reqs = {}
      if namespaces > 0 then
        for i = 0, namespaces - 1 do
          local headers = {}
          for k, v in pairs(wrk.headers) do headers[k] = v end
          headers["x-mock-namespace"] = "ns-" .. i
          reqs[i] = wrk.format(nil, nil, headers)
        end
        count = namespaces
        -- thread_index is set by setup() in this thread's Lua state before it starts
        next_i = ((thread_index or 0) * math.floor(namespaces / 2)) % namespaces
      else
        reqs[0] = wrk.format()
      end
    end
    local req = reqs[next_i]
    next_i = next_i + 1
    if next_i >= count then next_i = 0 end
    sent = sent + 1
    if limit > 0 and sent >= limit then wrk.thread:stop() end
    return req
  end
end
