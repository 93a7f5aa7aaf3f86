-- wrk script of bench/run.py for the quiz submits. Arguments after `--`: a Lua data file that returns a list
-- of {path, cookie, body} triples (one started attempt each: its learner's session cookie and the form with
-- the CSRF token and the answers to that attempt's layout), and the number of wrk threads. Each thread sends
-- its share once; when a thread has every answer it prints one SUBMITS line and stops. A connection that
-- finds its thread's share used up meanwhile asks for /healthz, whose JSON answer is not counted.

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
    reqs[#reqs + 1] = wrk.format("POST", data[k][1], {
      ["User-Agent"] = "lms-bench", ["Cookie"] = data[k][2],
      ["Content-Type"] = "application/x-www-form-urlencoded"}, data[k][3])
  end
  filler = wrk.format("GET", "/healthz", {["User-Agent"] = "lms-bench"})
  sent, answered, redirected, other = 0, 0, 0, {}
  -- wrk 4.1 calls request() once in the first thread's state before it starts, only to check the request
  -- (script_verify_request), and never sends that one: give it the filler, so no triple is lost.
  checking = (tid == 0)
end

function request()
  if checking then
    checking = false
    return filler
  end
  if sent < #reqs then
    sent = sent + 1
    return reqs[sent]
  end
  return filler
end

function response(status, headers, body)
  local kind = headers["content-type"] or headers["Content-Type"] or ""
  if kind:find("json", 1, true) then return end  -- the filler
  answered = answered + 1
  local location = headers["location"] or headers["Location"] or ""
  if status == 302 and location:find("/result$") then
    redirected = redirected + 1
  else
    other[status] = (other[status] or 0) + 1
  end
  if answered == #reqs then
    local parts = {}
    for code, n in pairs(other) do parts[#parts + 1] = code .. ":" .. n end
    io.write(string.format("SUBMITS thread=%d sent=%d redirected=%d other=%s\n", tid, #reqs, redirected,
      table.concat(parts, ",")))
    io.flush()
    wrk.thread:stop()
  end
end
