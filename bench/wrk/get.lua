-- wrk script of bench/run.py for the GET scenarios (and the baseline, so every scenario costs the load
-- generator the same). Arguments after `--`: a Lua data file that returns a list of {path, cookie} pairs,
-- and the number of wrk threads. Each thread takes every n-th pair and cycles through its share, so each
-- request is the next reader's session on the next lesson. (wrk's scripting API has no per-connection hook:
-- the sessions are spread over the requests of a thread, not pinned to its connections.)

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local data = dofile(args[1])
  local nthreads = tonumber(args[2])
  reqs = {}
  for k = tid + 1, #data, nthreads do
    local headers = {["User-Agent"] = "lms-bench"}
    if data[k][2] ~= "" then headers["Cookie"] = data[k][2] end
    reqs[#reqs + 1] = wrk.format("GET", data[k][1], headers)
  end
  i = 0
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
