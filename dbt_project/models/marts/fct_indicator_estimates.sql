{#-
    Indicator estimates per wave x zone (and ALL = pooled) x domain x indicator,
    from the additive per-zone-wave sums of int_indicator_sums: the sample share
    with a 95% Wilson interval, the post-stratified share with its design-based
    (linearized) standard error, design effect, effective sample size, a Wilson
    interval on that effective size and a quality grade from the CV, and the
    disclosure flag, and item non-response (bases are available-case:
    n_item_missing are outside them). Method: docs/methodology.md; columns: _marts__models.yml.
-#}
with

by_zone as (

    select
        wave_id,
        zone_id,
        domain,
        domain_type,
        indicator_id,
        n_base,
        n_yes,
        weighted_n_base,
        sum_weight,
        sum_weight_yes,
        var_q0,
        var_q1,
        var_q2,
        n_item_missing
    from {{ ref('int_indicator_sums') }}

),

-- pooled rows: sums of the zones' additive aggregates, never a rescan of responses;
-- the zones are the strata of one stratified design, so the Q sums add up too
pooled as (

    select
        wave_id,
        {{ pooled_zone_id() }} as zone_id,
        domain,
        domain_type,
        indicator_id,
        sum(n_base) as n_base,
        sum(n_yes) as n_yes,
        sum(weighted_n_base) as weighted_n_base,
        sum(sum_weight) as sum_weight,
        sum(sum_weight_yes) as sum_weight_yes,
        sum(var_q0) as var_q0,
        sum(var_q1) as var_q1,
        sum(var_q2) as var_q2,
        sum(n_item_missing) as n_item_missing
    from by_zone
    group by wave_id, domain, domain_type, indicator_id

),

aggregated as (

    select * from by_zone
    union all
    select * from pooled

),

proportions as (

    select
        aggregated.*,
        {{ safe_ratio('n_yes', 'n_base') }} as p,
        {{ safe_ratio('sum_weight_yes', 'sum_weight') }} as p_weighted,
        {{ safe_ratio('n_item_missing', 'n_base + n_item_missing') }} as item_nonresponse_rate
    from aggregated

),

-- V(R) = (Q0 - 2 R Q1 + R^2 Q2) / N_hat^2; null without weights
variances as (

    select
        proportions.*,
        {{ safe_ratio(
            'var_q0 - 2.0 * p_weighted * var_q1 + p_weighted * p_weighted * var_q2',
            'sum_weight * sum_weight'
        ) }} as variance_unclipped
    from proportions

),

clipped as (

    select
        variances.*,
        -- a true 0 (p = 0 or 1, or a weighting variable's design variance) comes out
        -- as rounding noise around 0 that differs from run to run; below
        -- 1e-12 p(1-p), an effective n above 1e12 that no survey has, it is 0
        case
            when variance_unclipped < 1e-12 * p_weighted * (1.0 - p_weighted) then 0.0
            else variance_unclipped
        end as variance
    from variances

),

-- design effect against simple random sampling of the weighted base; n_effective
-- = p(1-p)/V is undefined when V = 0 (which includes p = 0 or 1)
precisions as (

    select
        clipped.*,
        sqrt(variance) as std_error,
        case
            when p_weighted > 0 then sqrt(variance) / p_weighted
        end as cv,
        case
            when p_weighted > 0 and p_weighted < 1
                then variance * weighted_n_base / (p_weighted * (1.0 - p_weighted))
        end as design_effect,
        case
            when variance > 0 then p_weighted * (1.0 - p_weighted) / variance
        end as n_effective
    from clipped

),

-- the interval's n: the design's effective size, else the weighted base itself
intervals as (

    select
        precisions.*,
        coalesce(n_effective, cast(weighted_n_base as double)) as interval_n
    from precisions

),

final as (

    select
        wave_id,
        zone_id,
        domain,
        domain_type,
        indicator_id,
        cast(n_base as bigint) as n_base,
        cast(n_yes as bigint) as n_yes,
        {{ round_double('p', 6) }} as estimate,
        {{ round_double(wilson_bound('p', 'n_base', 'low'), 6) }} as ci_low,
        {{ round_double(wilson_bound('p', 'n_base', 'high'), 6) }} as ci_high,
        cast(weighted_n_base as bigint) as weighted_n_base,
        {{ round_double('p_weighted', 6) }} as weighted_estimate,
        {{ round_double('std_error', 6) }} as std_error,
        {{ round_double('cv', 6) }} as cv,
        {{ round_double('design_effect', 6) }} as design_effect,
        {{ round_double('n_effective', 6) }} as n_effective,
        {{ round_double(wilson_bound('p_weighted', 'interval_n', 'low'), 6) }}
            as weighted_ci_low,
        {{ round_double(wilson_bound('p_weighted', 'interval_n', 'high'), 6) }}
            as weighted_ci_high,
        {{ quality_grade('cv', 'p_weighted') }} as quality_grade,
        (
            n_base < {{ var('min_base') }}
            or n_yes < {{ var('min_cell_count') }}
            or n_base - n_yes < {{ var('min_cell_count') }}
        ) as suppressed,
        cast(n_item_missing as bigint) as n_item_missing,
        {{ round_double('item_nonresponse_rate', 6) }} as item_nonresponse_rate
    from intervals

)

select * from final
