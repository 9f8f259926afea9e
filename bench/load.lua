-- wrk script for bench/load.sh: POSTs a rotating mix of /predict, /zero-shot and /check
-- requests (real NLI sentences), and prints machine-readable totals at the end.
-- LOAD_MIX (environment) picks the endpoints: "mix" (default), "predict", "zero-shot", "check".

local requests_by_kind = {
  predict = {
    path = "/predict",
    body = '{"inputs": [["A man is playing a guitar on stage.", "A person is making music."], ' ..
           '["Two dogs run through a field of snow.", "The animals are asleep indoors."]]}',
  },
  ["zero-shot"] = {
    path = "/zero-shot",
    body = '{"inputs": "The national team won the championship after a penalty shootout.", ' ..
           '"parameters": {"candidate_labels": ["sports", "politics", "science"]}}',
  },
  check = {
    path = "/check",
    body = '{"context": "The Eiffel Tower is a wrought-iron lattice tower in Paris, France. It ' ..
           'was completed in 1889 as the entrance arch of the World\'s Fair.", "answer": "The ' ..
           'tower is in Paris. It was finished in 1889. It is made of wood."}',
  },
}

local mix = os.getenv("LOAD_MIX") or "mix"
local order = {}
if mix == "mix" then
  order = {"predict", "zero-shot", "check"}
else
  order = {mix}
end
local formatted = {}
for i, kind in ipairs(order) do
  local r = requests_by_kind[kind]
  if r == nil then error("LOAD_MIX: unknown endpoint " .. kind) end
  formatted[i] = wrk.format("POST", r.path, {["Content-Type"] = "application/json"}, r.body)
end

local counter = 0
request = function()
  counter = counter + 1
  return formatted[(counter % #formatted) + 1]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("LOAD requests %d\n", summary.requests))
  io.write(string.format("LOAD duration_s %.3f\n", summary.duration / 1e6))
  io.write(string.format("LOAD requests_per_s %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("LOAD p50_ms %.3f\n", latency:percentile(50) / 1000))
  io.write(string.format("LOAD p99_ms %.3f\n", latency:percentile(99) / 1000))
  io.write(string.format("LOAD max_ms %.3f\n", latency.max / 1000))
  io.write(string.format("LOAD errors_status %d\n", e.status))
  io.write(string.format("LOAD errors_socket %d\n", e.connect + e.read + e.write + e.timeout))
end
