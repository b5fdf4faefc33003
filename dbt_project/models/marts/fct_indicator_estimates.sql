{#-
    Indicator estimates per wave x zone (and ALL = pooled) x domain x indicator,
    from the additive per-zone-wave sums of int_indicator_sums:
    unweighted share with a 95% Wilson interval, post-stratified share with a
    Wilson interval on the Kish effective sample size, the disclosure flag, and
    item non-response (bases are available-case: n_item_missing are outside them).
    Method notes in _marts__models.yml.
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
        sum_weight_squared,
        n_item_missing
    from {{ ref('int_indicator_sums') }}

),

-- pooled rows: sums of the zones' additive aggregates, never a rescan of responses
pooled as (

    select
        wave_id,
        'ALL' as zone_id,
        domain,
        domain_type,
        indicator_id,
        sum(n_base) as n_base,
        sum(n_yes) as n_yes,
        sum(weighted_n_base) as weighted_n_base,
        sum(sum_weight) as sum_weight,
        sum(sum_weight_yes) as sum_weight_yes,
        sum(sum_weight_squared) as sum_weight_squared,
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
        {{ safe_ratio('sum_weight * sum_weight', 'sum_weight_squared') }} as n_effective,
        {{ safe_ratio('n_item_missing', 'n_base + n_item_missing') }} as item_nonresponse_rate
    from aggregated

),

final as (

    select
        wave_id,
        zone_id,
        domain,
        domain_type,
        indicator_id,
        n_base,
        n_yes,
        {{ round_double('p', 6) }} as estimate,
        {{ round_double(wilson_bound('p', 'n_base', 'low'), 6) }} as ci_low,
        {{ round_double(wilson_bound('p', 'n_base', 'high'), 6) }} as ci_high,
        weighted_n_base,
        {{ round_double('n_effective', 6) }} as n_effective,
        {{ round_double('p_weighted', 6) }} as weighted_estimate,
        {{ round_double(wilson_bound('p_weighted', 'n_effective', 'low'), 6) }}
            as weighted_ci_low,
        {{ round_double(wilson_bound('p_weighted', 'n_effective', 'high'), 6) }}
            as weighted_ci_high,
        (
            n_base < {{ var('min_base') }}
            or n_yes < {{ var('min_cell_count') }}
            or n_base - n_yes < {{ var('min_cell_count') }}
        ) as suppressed,
        n_item_missing,
        {{ round_double('item_nonresponse_rate', 6) }} as item_nonresponse_rate
    from proportions

)

select * from final
