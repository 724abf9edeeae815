// Package metrics computes earned value (EVM), earned schedule, AgileEVM, RAG status,
// milestone slip, roll-ups, throughput forecasts and risk exposure as pure functions.
// The warehouse layer feeds it numbers and stores what it returns; nothing here does I/O.
//
// Conventions that hold for every function in the package (the README repeats them):
//
//   - Ratios and percentages are fractions: SPI 0.95, SV% -0.10 means -10 %,
//     % complete 0.25 means 25 %. Inputs that are percentages (% complete) are also
//     fractions; callers divide Microsoft Project's 0–100 values by 100.
//   - No NaN or ±Inf ever leaves the package. Every measure that can be undefined is a
//     [Value]: Valid false plus a Reason saying why (AC = 0, PV = 0, before the baseline
//     start, no work remaining, …). Zero denominators give NULL by default;
//     [ConventionMicroFocus] reproduces Micro Focus PPM's 1/0 substitutes instead.
//   - The earned-schedule time axis is working days of the project calendar, counted
//     from the first working day on or after the earliest leaf baseline start. Period i
//     is the i-th working day; PV_i is the cumulative PV at the end of that day.
//   - An as-of (status) date counts as worked: PV, AT and AC include the as-of day
//     itself, as Microsoft Project does with its 17:00 status date. A P6-style data date
//     (the start of a day) is the previous day in this convention.
//   - Dates are calendar dates; times of day are ignored (a task that starts at 13:00
//     occupies the whole day).
//   - Money is in the project's currency until [Rollup] converts it. Roll-ups sum BAC,
//     PV, EV, AC and each EAC variant, then recompute every index from the sums;
//     earned schedule is not rolled up (project calendars differ).
//   - The reported EAC (behind ETC, VAC, TCPI(EAC) and the RAG EAC rule) is the
//     schedule's bottom-up estimate when there is one, else BAC/CPI; eac_weighted is
//     AC + (BAC − EV) / (0.8·CPI + 0.2·SPI) with configurable weights.
//   - Throughput forecasts sample weekly history (zero weeks kept) with replacement,
//     report nearest-rank percentiles, and turn weeks into dates as as-of + 7 days per
//     week.
package metrics
