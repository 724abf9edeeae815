-- The distribution behind each Monte Carlo completion forecast: how many of the
-- trials finished the scope's remaining items in exactly `weeks` weeks
-- (finish_date = as_of + 7 × weeks). Weeks no trial finished in are left out, and
-- so are trials beyond max_weeks (forecasts.beyond_trials counts them). The sum
-- of trials over a forecast's rows plus beyond_trials is forecasts.trials.
-- Charts draw this table rather than simulate again.
CREATE TABLE forecast_distribution (
    project_id  VARCHAR NOT NULL,
    as_of       DATE NOT NULL,
    scope       VARCHAR NOT NULL,
    weeks       INTEGER NOT NULL,
    finish_date DATE NOT NULL,
    trials      INTEGER NOT NULL,
    run_id      BIGINT NOT NULL
);
