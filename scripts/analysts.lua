-- wrk script: each connection plays an analyst sending a mix of queries to
-- POST /api/v1/query, from a one-row lookup to whole-portfolio aggregates.
local queries = {
  "SELECT count(*) FROM projects",
  "SELECT program, count(*) AS projects, sum(budget) AS budget FROM projects GROUP BY ALL ORDER BY budget DESC",
  "SELECT * FROM project_health ORDER BY project_id",
  "SELECT portfolio, as_of, spi, cpi FROM portfolio_evm ORDER BY as_of",
  "SELECT project_id, count(*) AS tasks, sum(baseline_cost) AS bac FROM tasks GROUP BY ALL ORDER BY bac DESC LIMIT 20",
  "SELECT s.snapshot_date, count(*) FROM task_snapshots t JOIN schedule_snapshots s USING (snapshot_id) GROUP BY ALL ORDER BY 1",
  "SELECT status, count(*) FROM issues GROUP BY ALL",
  "SELECT project_id, quantile_cont(cycle_days, 0.85) AS p85 FROM cycle_times GROUP BY ALL ORDER BY p85 DESC",
  "SELECT * FROM top_risks WHERE portfolio_rank <= 10",
  "SELECT project_id, as_of, emv FROM risk_exposure ORDER BY as_of DESC LIMIT 100",
}
local n = 0
request = function()
  n = n + 1
  local q = queries[(n % #queries) + 1]
  local body = '{"sql": "' .. q:gsub('"', '\\"') .. '"}'
  return wrk.format("POST", "/api/v1/query", {["Content-Type"] = "application/json"}, body)
end
