{#- How enterprises seen in consecutive waves moved between levels: counts per
    zone (of wave t; ALL = every zone) x wave pair x measure x level t x level t+1,
    with the panel-weighted share of the level_from population, its linearized
    standard error and Wilson interval, a quality grade, and whether the measure is
    comparable across the two waves' instrument versions.

    Design (docs/methodology.md, "Transitions (panel)"): zones of wave t are strata
    (fpc from N_h, the zone-wave's weighted total; n_h its weighted links), the
    panel weights of int_enterprise_panel_linked are fixed. For a cell, with
    z = level_from, y = level_to and R = sum w z y / sum w z:
      Q0 = c_h (S2a - S1a^2 / n_h), Q1 = c_h (S2a - S1a S1b / n_h),
      Q2 = c_h (S2b - S1b^2 / n_h),  c_h = (1 - n_h / N_h) n_h / (n_h - 1),
    S1a, S2a = sum of w, w^2 over the cell, S1b, S2b over its level_from;
    V = (Q0 - 2 R Q1 + R^2 Q2) / S1b^2, also over several zones (ALL). -#}
with

links as (

    select * from {{ ref('int_enterprise_panel_linked') }}

),

levels as (

    select * from {{ ref('scoring_levels') }}

),

scoring_elements as (

    select * from {{ ref('scoring_elements') }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

indicator_breaks as (

    select * from {{ ref('indicator_breaks') }}

),

by_measure as (

    select
        zone_from as zone_id,
        wave_from,
        wave_to,
        'dma' as measure,
        dma_level_from as level_from,
        dma_level_to as level_to,
        panel_weight,
        panel_stratum_population,
        panel_stratum_n
    from links
    union all
    select
        zone_from as zone_id,
        wave_from,
        wave_to,
        'dii' as measure,
        dii_level_from as level_from,
        dii_level_to as level_to,
        panel_weight,
        panel_stratum_population,
        panel_stratum_n
    from links

),

-- c_h of the zone's panel: a zone with one weighted link adds no variance (as in
-- int_indicator_sums), a sample larger than N_h is taken as a census
stratum_sizes as (

    select
        zone_id,
        wave_from,
        wave_to,
        measure,
        cast(max(panel_stratum_n) as double) as stratum_n,
        max(panel_stratum_population) as stratum_population
    from by_measure
    group by zone_id, wave_from, wave_to, measure

),

strata as (

    select
        zone_id,
        wave_from,
        wave_to,
        measure,
        stratum_n,
        case
            when stratum_n > 1
                then greatest(0.0, 1.0 - {{ safe_ratio('stratum_n', 'stratum_population') }})
                    * {{ safe_ratio('stratum_n', 'stratum_n - 1') }}
            else 0.0
        end as stratum_factor
    from stratum_sizes

),

cells as (

    select
        zone_id,
        wave_from,
        wave_to,
        measure,
        level_from,
        level_to,
        count(*) as n_enterprises,
        count(panel_weight) as weighted_n_enterprises,
        -- links without a weight count in n_enterprises only
        coalesce(sum(panel_weight), 0.0) as sum_weight,
        coalesce(sum(panel_weight * panel_weight), 0.0) as sum_weight_squared
    from by_measure
    group by zone_id, wave_from, wave_to, measure, level_from, level_to

),

-- the level_from population of each zone: the ratio's denominator (S1b) and Q2,
-- which a zone adds to an ALL row even when it lacks the transition itself
zone_bases as (

    select
        cells.zone_id,
        cells.wave_from,
        cells.wave_to,
        cells.measure,
        cells.level_from,
        sum(cells.n_enterprises) as n_level_from,
        sum(cells.weighted_n_enterprises) as weighted_n_level_from,
        sum(cells.sum_weight) as sum_weight_level_from,
        -- null for a zone without weights (stratum_n = 0): nothing to estimate there
        max(strata.stratum_factor) * (
            sum(cells.sum_weight_squared)
            - {{ safe_ratio(
                'sum(cells.sum_weight) * sum(cells.sum_weight)', 'max(strata.stratum_n)'
            ) }}
        ) as var_q2
    from cells
    inner join strata
        on cells.zone_id = strata.zone_id
            and cells.wave_from = strata.wave_from
            and cells.wave_to = strata.wave_to
            and cells.measure = strata.measure
    group by cells.zone_id, cells.wave_from, cells.wave_to, cells.measure, cells.level_from

),

zone_cells as (

    select
        cells.zone_id,
        cells.wave_from,
        cells.wave_to,
        cells.measure,
        cells.level_from,
        cells.level_to,
        cells.n_enterprises,
        cells.sum_weight,
        strata.stratum_factor * (
            cells.sum_weight_squared
            - {{ safe_ratio('cells.sum_weight * cells.sum_weight', 'strata.stratum_n') }}
        ) as var_q0,
        strata.stratum_factor * (
            cells.sum_weight_squared
            - {{ safe_ratio(
                'cells.sum_weight * zone_bases.sum_weight_level_from', 'strata.stratum_n'
            ) }}
        ) as var_q1
    from cells
    inner join strata
        on cells.zone_id = strata.zone_id
            and cells.wave_from = strata.wave_from
            and cells.wave_to = strata.wave_to
            and cells.measure = strata.measure
    inner join zone_bases
        on cells.zone_id = zone_bases.zone_id
            and cells.wave_from = zone_bases.wave_from
            and cells.wave_to = zone_bases.wave_to
            and cells.measure = zone_bases.measure
            -- a link without a level (never expected: level_from is tested not null)
            -- must reach the mart and fail that test, not vanish in a join
            and coalesce(cells.level_from, '') = coalesce(zone_bases.level_from, '')

),

-- ALL: sums of the zones' sums (the zones are the strata of one design)
all_cells as (

    select
        {{ pooled_zone_id() }} as zone_id,
        wave_from,
        wave_to,
        measure,
        level_from,
        level_to,
        sum(n_enterprises) as n_enterprises,
        sum(sum_weight) as sum_weight,
        sum(var_q0) as var_q0,
        sum(var_q1) as var_q1
    from zone_cells
    group by wave_from, wave_to, measure, level_from, level_to

),

all_bases as (

    select
        {{ pooled_zone_id() }} as zone_id,
        wave_from,
        wave_to,
        measure,
        level_from,
        sum(n_level_from) as n_level_from,
        sum(weighted_n_level_from) as weighted_n_level_from,
        sum(sum_weight_level_from) as sum_weight_level_from,
        sum(var_q2) as var_q2
    from zone_bases
    group by wave_from, wave_to, measure, level_from

),

counted as (

    select * from zone_cells
    union all
    select * from all_cells

),

bases as (

    select * from zone_bases
    union all
    select * from all_bases

),

proportions as (

    select
        counted.*,
        bases.n_level_from,
        bases.weighted_n_level_from,
        bases.var_q2,
        {{ safe_ratio('counted.sum_weight', 'bases.sum_weight_level_from') }} as p_weighted,
        bases.sum_weight_level_from
    from counted
    inner join bases
        on counted.zone_id = bases.zone_id
            and counted.wave_from = bases.wave_from
            and counted.wave_to = bases.wave_to
            and counted.measure = bases.measure
            and coalesce(counted.level_from, '') = coalesce(bases.level_from, '')

),

-- V(R) = (Q0 - 2 R Q1 + R^2 Q2) / S1b^2, clipped at 0 against cancellation
variances as (

    select
        proportions.*,
        {{ safe_ratio(
            'var_q0 - 2.0 * p_weighted * var_q1 + p_weighted * p_weighted * var_q2',
            'sum_weight_level_from * sum_weight_level_from'
        ) }} as variance_unclipped
    from proportions

),

precisions as (

    select
        variances.*,
        case
            when variance_unclipped < 0 then 0.0 else variance_unclipped
        end as variance
    from variances

),

-- the interval's n: the design's effective size p(1-p)/V, else (V = 0) the
-- weighted enterprises of level_from, as in fct_indicator_estimates
intervals as (

    select
        precisions.*,
        sqrt(variance) as std_error,
        case
            when p_weighted > 0 then sqrt(variance) / p_weighted
        end as cv,
        coalesce(
            case
                when variance > 0 then p_weighted * (1.0 - p_weighted) / variance
            end,
            cast(weighted_n_level_from as double)
        ) as interval_n
    from precisions

),

wave_pairs as (

    select distinct
        wave_from,
        wave_to
    from links

),

-- a measure is comparable across a wave pair unless one of its scoring elements
-- changes between the two waves: its series breaks at a wave after wave_from and
-- up to wave_to (seed indicator_breaks, from the codebook crosswalks), or it is
-- asked in only one of the two waves, so it enters or leaves the score
element_breaks as (

    select
        wave_pairs.wave_from,
        wave_pairs.wave_to,
        scoring_elements.measure,
        case indicator_breaks.comparability when 'none' then 2 else 1 end as break_rank
    from wave_pairs
    inner join indicator_breaks
        on wave_pairs.wave_from < indicator_breaks.wave_id
            and wave_pairs.wave_to >= indicator_breaks.wave_id
    inner join scoring_elements
        on indicator_breaks.indicator_id = scoring_elements.indicator_id
    union all
    select
        wave_pairs.wave_from,
        wave_pairs.wave_to,
        scoring_elements.measure,
        1 as break_rank
    from wave_pairs
    inner join indicators
        on (
            wave_pairs.wave_from < indicators.first_wave
            and wave_pairs.wave_to >= indicators.first_wave
        )
        or (
            wave_pairs.wave_from <= indicators.last_wave
            and wave_pairs.wave_to > indicators.last_wave
        )
    inner join scoring_elements
        on indicators.indicator_id = scoring_elements.indicator_id

),

pair_breaks as (

    select
        wave_from,
        wave_to,
        measure,
        max(break_rank) as break_rank
    from element_breaks
    group by wave_from, wave_to, measure

),

final as (

    select
        intervals.zone_id,
        intervals.wave_from,
        intervals.wave_to,
        intervals.measure,
        intervals.level_from,
        intervals.level_to,
        from_levels.level_rank as level_from_rank,
        to_levels.level_rank as level_to_rank,
        case
            when to_levels.level_rank > from_levels.level_rank then 'up'
            when to_levels.level_rank < from_levels.level_rank then 'down'
            else 'same'
        end as movement,
        cast(intervals.n_enterprises as bigint) as n_enterprises,
        {{ round_double(
            safe_ratio('intervals.n_enterprises', 'intervals.n_level_from'), 6
        ) }} as share_of_level_from,
        cast(intervals.weighted_n_level_from as bigint) as weighted_n_level_from,
        {{ round_double('intervals.p_weighted', 6) }} as weighted_share_of_level_from,
        {{ round_double('intervals.std_error', 6) }} as std_error,
        {{ round_double(
            wilson_bound('intervals.p_weighted', 'intervals.interval_n', 'low'), 6
        ) }} as weighted_ci_low,
        {{ round_double(
            wilson_bound('intervals.p_weighted', 'intervals.interval_n', 'high'), 6
        ) }} as weighted_ci_high,
        {{ quality_grade('intervals.cv', 'intervals.p_weighted') }} as quality_grade,
        pair_breaks.break_rank is null as is_comparable,
        case pair_breaks.break_rank
            when 2 then 'none'
            when 1 then 'approximate'
            else 'exact'
        end as comparability
    from intervals
    left join levels as from_levels
        on intervals.measure = from_levels.measure
            and intervals.level_from = from_levels.level
    left join levels as to_levels
        on intervals.measure = to_levels.measure
            and intervals.level_to = to_levels.level
    left join pair_breaks
        on intervals.wave_from = pair_breaks.wave_from
            and intervals.wave_to = pair_breaks.wave_to
            and intervals.measure = pair_breaks.measure

)

select * from final
