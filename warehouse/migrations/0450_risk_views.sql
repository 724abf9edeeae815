-- Risk metrics: exposure, matrix, roll-ups and top risks per as-of date.
-- The four small tables hold configuration (metrics.risk, metrics.currency,
-- metrics.rates); metrics.refreshRisk rewrites them inside every sync run so the
-- views below stay pure SQL and always match the configuration of the version.
--
-- As-of dates. A risk register states its risks on each snapshot date (one file
-- = one dated snapshot). Jira risk issues are stated weekly: every Friday (the
-- usual PMO status day) from the week the project's first risk opened up to the
-- source's latest sync, plus the latest sync date itself; a risk is open on a date
-- from its created date until its resolution date, with the probability and impact
-- of the latest sync snapshot on or before that date (the earliest one before the
-- first sync). A project fed by several sources is stated on every date any of
-- them has, each source carrying its latest statement forward.

CREATE TABLE risk_matrix_levels (
    axis        VARCHAR NOT NULL,  -- probability | impact
    level       INTEGER NOT NULL,  -- 1 = lowest
    label       VARCHAR,
    lower_bound DOUBLE,            -- exclusive; NULL on level 1
    upper_bound DOUBLE,            -- inclusive; NULL on the top level
    probability DOUBLE             -- probability axis: the probability a bare rating stands for
);

CREATE TABLE risk_matrix_bands (
    probability_level INTEGER NOT NULL,
    impact_level      INTEGER NOT NULL,
    band              VARCHAR NOT NULL  -- high | medium | low
);

-- One row: how impacts are levelled. impact_basis 'cost' compares |cost impact| in
-- the portfolio currency with impact_bounds; 'budget_share' compares
-- |cost impact| / project budget.
CREATE TABLE risk_settings (
    portfolio_currency VARCHAR NOT NULL,
    impact_basis       VARCHAR NOT NULL,
    probability_bounds DOUBLE[] NOT NULL,
    impact_bounds      DOUBLE[] NOT NULL
);

-- One unit of currency is worth `rate` portfolio-currency units (1 for the
-- portfolio currency itself).
CREATE TABLE risk_currency_rates (
    currency VARCHAR NOT NULL,
    rate     DOUBLE NOT NULL
);

-- Dates on which a source states a project's risks.
CREATE VIEW risk_points AS
WITH jira_sources AS (
    SELECT source, max(as_of) AS horizon
    FROM risk_snapshots WHERE snapshot_date_source = 'jira-sync' GROUP BY source
), jira_first AS (
    SELECT source, project_id, risk_id, min(as_of) AS first_as_of
    FROM risk_snapshots WHERE snapshot_date_source = 'jira-sync' GROUP BY ALL
), jira_bounds AS (
    SELECT r.source, r.project_id, min(coalesce(r.opened, f.first_as_of)) AS start, any_value(s.horizon) AS horizon
    FROM risks r
    JOIN jira_sources s ON s.source = r.source
    LEFT JOIN jira_first f ON f.source = r.source AND f.project_id = r.project_id AND f.risk_id = r.risk_id
    WHERE r.project_id IS NOT NULL
    GROUP BY r.source, r.project_id
)
SELECT DISTINCT source, project_id, as_of FROM risk_snapshots
WHERE project_id IS NOT NULL AND coalesce(snapshot_date_source, '') <> 'jira-sync'
UNION
SELECT source, project_id, CAST(unnest(generate_series(
        start + CAST((12 - isodow(start)) % 7 AS INTEGER), horizon, INTERVAL 7 DAY)) AS DATE)
FROM jira_bounds WHERE start <= horizon
UNION
SELECT source, project_id, horizon FROM jira_bounds;

-- Each risk as its source stated it on each of the source's dates.
CREATE VIEW risk_source_states AS
WITH register AS (
    SELECT source, project_id, as_of AS point, risk_id,
        coalesce(is_open, closed IS NULL OR closed > as_of) AS is_open,
        opened, closed, due, status, category, owner, title,
        probability, probability_score, impact_cost, impact_score
    FROM risk_snapshots
    WHERE project_id IS NOT NULL AND coalesce(snapshot_date_source, '') <> 'jira-sync'
), register_dated AS (
    SELECT *,
        coalesce(opened, min(point) OVER w) AS opened_on,
        CASE WHEN NOT is_open THEN coalesce(closed, min(CASE WHEN NOT is_open THEN point END) OVER w) END AS closed_on
    FROM register
    WINDOW w AS (PARTITION BY source, project_id, risk_id)
), jira_snaps AS (
    SELECT * FROM risk_snapshots WHERE snapshot_date_source = 'jira-sync'
), jira_first AS (
    SELECT source, project_id, risk_id, arg_min(probability, as_of) AS probability,
        arg_min(probability_score, as_of) AS probability_score, arg_min(impact_cost, as_of) AS impact_cost,
        arg_min(impact_score, as_of) AS impact_score, min(as_of) AS first_as_of
    FROM jira_snaps GROUP BY ALL
), jira_risks AS (
    -- A risk issue in a done status without a resolution date closed when it was
    -- last updated; a deleted one is gone.
    SELECT r.* REPLACE (coalesce(r.closed, CASE WHEN i.status_category = 'done' THEN CAST(i.updated AT TIME ZONE 'UTC' AS DATE) END) AS closed),
        f.first_as_of,
        f.probability AS first_probability, f.probability_score AS first_probability_score,
        f.impact_cost AS first_impact_cost, f.impact_score AS first_impact_score,
        coalesce(r.opened, f.first_as_of) AS opened_on
    FROM risks r
    JOIN (SELECT DISTINCT source FROM jira_snaps) s ON s.source = r.source
    LEFT JOIN jira_first f ON f.source = r.source AND f.project_id = r.project_id AND f.risk_id = r.risk_id
    LEFT JOIN issues i ON i.source = r.source AND i.issue_key = r.risk_id
    WHERE r.project_id IS NOT NULL AND i.deleted_at IS NULL
), jira_at AS (
    SELECT r.source, r.project_id, p.as_of AS point, r.risk_id, r.opened_on, r.closed, r.due, r.status,
        r.category, r.owner, r.title, r.first_probability, r.first_probability_score, r.first_impact_cost,
        r.first_impact_score, r.probability AS cur_probability, r.probability_score AS cur_probability_score,
        r.impact_cost AS cur_impact_cost, r.impact_score AS cur_impact_score
    FROM jira_risks r
    JOIN risk_points p ON p.source = r.source AND p.project_id = r.project_id AND p.as_of >= r.opened_on
)
SELECT source, project_id, point, risk_id, is_open, opened_on, closed_on, due, status, category, owner, title,
    probability, probability_score, impact_cost, impact_score
FROM register_dated
UNION ALL
SELECT a.source, a.project_id, a.point, a.risk_id,
    NOT coalesce(a.closed <= a.point, false) AS is_open,
    a.opened_on,
    CASE WHEN a.closed <= a.point THEN a.closed END AS closed_on,
    a.due, coalesce(s.status, a.status), a.category, a.owner, a.title,
    CASE WHEN s.source IS NOT NULL THEN s.probability ELSE coalesce(a.first_probability, a.cur_probability) END,
    CASE WHEN s.source IS NOT NULL THEN s.probability_score ELSE coalesce(a.first_probability_score, a.cur_probability_score) END,
    CASE WHEN s.source IS NOT NULL THEN s.impact_cost ELSE coalesce(a.first_impact_cost, a.cur_impact_cost) END,
    CASE WHEN s.source IS NOT NULL THEN s.impact_score ELSE coalesce(a.first_impact_score, a.cur_impact_score) END
FROM jira_at a
ASOF LEFT JOIN jira_snaps s ON s.source = a.source AND s.project_id = a.project_id AND s.risk_id = a.risk_id AND s.as_of <= a.point;

-- risk_scores: every risk of every project on each of the project's as-of dates,
-- scored on the configured matrix. One source's statement is carried forward to
-- the project's later dates until the source states the project again.
-- probability_level: from probability when known, else the source's rating.
-- impact_level: from the cost impact when known (see risk_settings), else the
-- source's rating. emv = probability × cost impact (a bare probability rating
-- counts as its level's probability); NULL when the cost impact is unknown.
CREATE VIEW risk_scores AS
WITH dates AS (
    SELECT DISTINCT project_id, as_of FROM risk_points
), sources AS (
    SELECT DISTINCT project_id, source FROM risk_points
), wanted AS (
    SELECT d.project_id, d.as_of, s.source FROM dates d JOIN sources s ON s.project_id = d.project_id
), picked AS (
    SELECT w.project_id, w.as_of, w.source, p.as_of AS point
    FROM wanted w ASOF JOIN risk_points p ON p.source = w.source AND p.project_id = w.project_id AND p.as_of <= w.as_of
), settings AS (
    SELECT * FROM risk_settings LIMIT 1
), nprob AS (
    SELECT count(*) AS n FROM risk_matrix_levels WHERE axis = 'probability'
), nimpact AS (
    SELECT count(*) AS n FROM risk_matrix_levels WHERE axis = 'impact'
), joined AS (
    SELECT k.project_id, k.as_of, st.source, st.risk_id, st.point AS stated_on, st.is_open, st.opened_on, st.closed_on,
        st.due, st.status, st.category, st.owner, st.title, st.probability, st.probability_score, st.impact_cost,
        st.impact_score, pr.currency AS project_currency, pr.budget,
        coalesce(pr.currency, se.portfolio_currency) AS currency,
        rt.rate, se.impact_basis, se.probability_bounds, se.impact_bounds
    FROM picked k
    JOIN risk_source_states st ON st.source = k.source AND st.project_id = k.project_id AND st.point = k.point
    LEFT JOIN projects pr ON pr.project_id = k.project_id
    LEFT JOIN settings se ON true
    LEFT JOIN risk_currency_rates rt ON rt.currency = coalesce(pr.currency, se.portfolio_currency)
), levelled AS (
    SELECT j.*,
        CASE
            WHEN j.probability IS NOT NULL AND j.probability_bounds IS NOT NULL
                THEN 1 + len(list_filter(j.probability_bounds, lambda b: b < j.probability))
            WHEN j.probability_score BETWEEN 1 AND (SELECT n FROM nprob) THEN j.probability_score
        END AS probability_level,
        CASE
            WHEN j.impact_cost IS NOT NULL AND j.impact_basis = 'cost' AND j.rate IS NOT NULL AND len(j.impact_bounds) > 0
                THEN 1 + len(list_filter(j.impact_bounds, lambda b: b < abs(j.impact_cost * j.rate)))
            WHEN j.impact_cost IS NOT NULL AND j.impact_basis = 'budget_share' AND j.budget > 0 AND len(j.impact_bounds) > 0
                THEN 1 + len(list_filter(j.impact_bounds, lambda b: b < abs(j.impact_cost) / j.budget))
            WHEN j.impact_score BETWEEN 1 AND (SELECT n FROM nimpact) THEN j.impact_score
        END AS impact_level
    FROM joined j
)
SELECT l.project_id, l.as_of, l.source, l.risk_id, l.stated_on, l.is_open, l.opened_on, l.closed_on, l.due,
    coalesce(l.is_open AND l.due < l.as_of, false) AS overdue,
    l.status, l.category, l.owner, l.title, l.probability, l.probability_score, l.impact_cost, l.impact_score,
    l.probability_level, l.impact_level, b.band,
    coalesce(l.probability, pl.probability) * l.impact_cost AS emv,
    l.currency,
    coalesce(l.probability, pl.probability) * l.impact_cost * l.rate AS emv_portfolio
FROM levelled l
LEFT JOIN risk_matrix_bands b ON b.probability_level = l.probability_level AND b.impact_level = l.impact_level
LEFT JOIN risk_matrix_levels pl ON pl.axis = 'probability' AND pl.level = l.probability_score AND l.probability IS NULL;

-- risk_exposure: one row per project and as-of date.
-- open_risks: open on the date. opened / closed: risks whose opened / closed date
-- falls after the project's previous as-of date and on or before this one (on the
-- first date: every risk opened / closed by then); a register row without a date
-- counts on the first snapshot that shows it open / closed. emv: Σ EMV of open
-- risks (threats positive, opportunities negative). high/medium/low: open risks per
-- matrix band (risks the matrix cannot place are in none). contingency: the
-- project's configured reserve. coverage_ratio: contingency ÷ emv, NULL when emv
-- is not positive or no contingency is configured. overdue: open risks whose
-- response due date has passed. Money is in the project's currency.
CREATE VIEW risk_exposure AS
WITH dated AS (
    SELECT project_id, as_of, lag(as_of) OVER (PARTITION BY project_id ORDER BY as_of) AS prev_as_of
    FROM (SELECT DISTINCT project_id, as_of FROM risk_scores)
), agg AS (
    SELECT s.project_id, s.as_of,
        count(*) FILTER (WHERE s.is_open) AS open_risks,
        count(*) FILTER (WHERE s.opened_on <= s.as_of AND (d.prev_as_of IS NULL OR s.opened_on > d.prev_as_of)) AS opened,
        count(*) FILTER (WHERE NOT s.is_open AND s.closed_on <= s.as_of AND (d.prev_as_of IS NULL OR s.closed_on > d.prev_as_of)) AS closed,
        coalesce(sum(s.emv) FILTER (WHERE s.is_open), 0) AS emv,
        count(*) FILTER (WHERE s.is_open AND s.band = 'high') AS high,
        count(*) FILTER (WHERE s.is_open AND s.band = 'medium') AS medium,
        count(*) FILTER (WHERE s.is_open AND s.band = 'low') AS low,
        count(*) FILTER (WHERE s.is_open AND s.overdue) AS overdue,
        count(*) FILTER (WHERE s.is_open AND s.band IS NULL) AS unscored,
        count(*) FILTER (WHERE s.is_open AND s.emv IS NULL) AS unquantified,
        any_value(s.currency) AS currency
    FROM risk_scores s JOIN dated d ON d.project_id = s.project_id AND d.as_of = s.as_of
    GROUP BY s.project_id, s.as_of
)
SELECT a.project_id, a.as_of, a.open_risks, a.opened, a.closed, a.emv, a.high, a.medium, a.low,
    p.contingency,
    CASE WHEN a.emv > 0 THEN p.contingency / a.emv END AS coverage_ratio,
    a.overdue, a.unscored, a.unquantified, a.currency
FROM agg a LEFT JOIN projects p ON p.project_id = a.project_id;

-- risk_matrix: open risks and their EMV per matrix cell, every cell listed.
CREATE VIEW risk_matrix AS
WITH dates AS (SELECT DISTINCT project_id, as_of FROM risk_scores)
SELECT d.project_id, d.as_of, b.probability_level, b.impact_level,
    count(s.risk_id) AS risks, coalesce(sum(s.emv), 0) AS emv, b.band
FROM dates d
CROSS JOIN risk_matrix_bands b
LEFT JOIN risk_scores s ON s.project_id = d.project_id AND s.as_of = d.as_of AND s.is_open
    AND s.probability_level = b.probability_level AND s.impact_level = b.impact_level
GROUP BY ALL;

-- Roll-ups in the portfolio currency, on every date any member project has: each
-- project carries its latest row forward; opened and closed count only on the
-- project's own dates, so they sum to the period's movements.
CREATE VIEW risk_exposure_rollup AS
WITH settings AS (
    SELECT any_value(portfolio_currency) AS portfolio_currency FROM risk_settings
), e AS (
    SELECT e.*, r.rate, s.portfolio_currency,
        coalesce(p.program, '') AS program_key, coalesce(p.portfolio, '') AS portfolio_key
    FROM risk_exposure e
    LEFT JOIN projects p ON p.project_id = e.project_id
    CROSS JOIN settings s
    LEFT JOIN risk_currency_rates r ON r.currency = coalesce(e.currency, s.portfolio_currency)
), members AS (
    SELECT DISTINCT 'program' AS level, program_key AS key, project_id FROM e
    UNION ALL
    SELECT DISTINCT 'portfolio', portfolio_key, project_id FROM e
), keyed AS (
    SELECT m.level, m.key, e.as_of FROM members m JOIN e ON e.project_id = m.project_id
), dates AS (
    SELECT DISTINCT level, key, as_of FROM keyed
), wanted AS (
    SELECT d.level, d.key, d.as_of AS roll_as_of, m.project_id
    FROM dates d JOIN members m ON m.level = d.level AND m.key = d.key
), carried AS (
    SELECT w.level, w.key, w.roll_as_of, e.*
    FROM wanted w ASOF JOIN e ON e.project_id = w.project_id AND e.as_of <= w.roll_as_of
)
SELECT level, NULLIF(key, '') AS key, roll_as_of AS as_of,
    count(*) AS projects,
    sum(open_risks) AS open_risks,
    sum(CASE WHEN as_of = roll_as_of THEN opened ELSE 0 END) AS opened,
    sum(CASE WHEN as_of = roll_as_of THEN closed ELSE 0 END) AS closed,
    sum(emv * rate) AS emv,
    sum(high) AS high, sum(medium) AS medium, sum(low) AS low,
    sum(contingency * rate) AS contingency,
    CASE WHEN sum(emv * rate) > 0 THEN coalesce(sum(contingency * rate), 0) / sum(emv * rate) END AS coverage_ratio,
    sum(overdue) AS overdue,
    count(*) FILTER (WHERE rate IS NULL) AS projects_without_rate,
    any_value(portfolio_currency) AS currency
FROM carried
GROUP BY level, key, roll_as_of;

-- program_risk_exposure / portfolio_risk_exposure: risk_exposure summed per
-- program / portfolio (projects without one are grouped under NULL), in the
-- portfolio currency. projects_without_rate counts members whose currency has no
-- rate in metrics.rates: their money is left out of emv and contingency.
CREATE VIEW program_risk_exposure AS
SELECT key AS program, as_of, projects, open_risks, opened, closed, emv, high, medium, low, contingency,
    coverage_ratio, overdue, projects_without_rate, currency
FROM risk_exposure_rollup WHERE level = 'program';

CREATE VIEW portfolio_risk_exposure AS
SELECT key AS portfolio, as_of, projects, open_risks, opened, closed, emv, high, medium, low, contingency,
    coverage_ratio, overdue, projects_without_rate, currency
FROM risk_exposure_rollup WHERE level = 'portfolio';

-- top_risks: the open risks of each project on its latest as-of date, ranked by
-- EMV (rank 1 = largest expected cost; unquantified risks last, by band).
-- portfolio_rank ranks the same risks across all projects by EMV in the portfolio
-- currency.
CREATE VIEW top_risks AS
WITH latest AS (
    SELECT project_id, max(as_of) AS as_of FROM risk_scores GROUP BY project_id
)
SELECT s.project_id, s.as_of,
    row_number() OVER (PARTITION BY s.project_id ORDER BY s.emv DESC NULLS LAST,
        CASE s.band WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, s.risk_id) AS rank,
    row_number() OVER (ORDER BY s.emv_portfolio DESC NULLS LAST,
        CASE s.band WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, s.project_id, s.risk_id) AS portfolio_rank,
    s.source, s.risk_id, s.title, s.category, s.owner, s.status, s.probability, s.impact_cost, s.emv, s.currency,
    s.emv_portfolio, s.probability_level, s.impact_level, s.band, s.opened_on, s.due, s.overdue
FROM risk_scores s JOIN latest l ON l.project_id = s.project_id AND l.as_of = s.as_of
WHERE s.is_open;
