-- Completion forecasts, filled by metrics.refreshForecasts inside sync runs.
--
-- method 'monte_carlo': the remaining work items of a scope (scope 'project',
-- 'epic:<key>' or 'fix_version:<name>') are simulated against the project's
-- weekly throughput (flow_weekly: complete weeks from the first week work started
-- or finished up to the week before as_of, zero weeks kept, the last
-- metrics.flow.window_weeks of them), metrics.flow.trials times with the
-- configured seed; pNN_date = as_of + 7 × the weeks within which NN % of trials
-- finished (nearest rank). as_of is the project's flow horizon date. A date is
-- NULL with a reason when there is no history, no delivery in it, or it is beyond
-- max_weeks.
-- method 'earned_schedule': for schedule-driven projects, project_evm's
-- forecast_finish (Start + IEAC(t)) on each of its as-of dates, in p50_date; it is
-- a point estimate, so p85_date and p95_date stay NULL.
-- Rows of earlier as-of dates are kept, so forecast drift can be charted.
CREATE TABLE forecasts (
    project_id      VARCHAR NOT NULL,
    as_of           DATE NOT NULL,
    scope           VARCHAR NOT NULL,
    remaining_items INTEGER,
    p50_date        DATE,
    p85_date        DATE,
    p95_date        DATE,
    method          VARCHAR NOT NULL,   -- monte_carlo | earned_schedule
    scope_type      VARCHAR NOT NULL,   -- project | epic | fix_version
    scope_key       VARCHAR,            -- epic key or fix version name
    p50_weeks       INTEGER,
    p85_weeks       INTEGER,
    p95_weeks       INTEGER,
    history_weeks   INTEGER,            -- weeks of throughput sampled
    history_items   INTEGER,            -- items finished in them
    trials          INTEGER,
    beyond_trials   INTEGER,            -- trials unfinished at max_weeks
    reason          VARCHAR,            -- why dates are NULL
    computed_at     TIMESTAMPTZ NOT NULL,
    run_id          BIGINT NOT NULL
);

-- "How many items by date D": per project, for each horizon in
-- metrics.flow.items_horizons_weeks and each unreleased fix version's release
-- date, the items finished with at least 50 / 85 / 95 % probability in the whole
-- weeks from as_of to target_date (p85_items ≤ p50_items: more certainty, fewer
-- items). Any other date: metrics.ForecastItemsByDate.
CREATE TABLE forecast_items (
    project_id      VARCHAR NOT NULL,
    as_of           DATE NOT NULL,
    target          VARCHAR NOT NULL,   -- '4 weeks' or 'fix_version:<name>'
    target_date     DATE NOT NULL,
    weeks           INTEGER NOT NULL,
    p50_items       INTEGER,
    p85_items       INTEGER,
    p95_items       INTEGER,
    remaining_items INTEGER,            -- of the target's scope (project or fix version)
    method          VARCHAR NOT NULL,
    trials          INTEGER,
    reason          VARCHAR,
    computed_at     TIMESTAMPTZ NOT NULL,
    run_id          BIGINT NOT NULL
);

-- Bookkeeping: the inputs behind the last Monte Carlo refresh, so runs whose
-- inputs did not change skip the simulation.
CREATE TABLE forecast_refreshes (
    config_fingerprint VARCHAR NOT NULL,
    input_fingerprint  VARCHAR NOT NULL,
    refreshed_at       TIMESTAMPTZ NOT NULL,
    run_id             BIGINT NOT NULL,
    jobs               INTEGER NOT NULL
);
