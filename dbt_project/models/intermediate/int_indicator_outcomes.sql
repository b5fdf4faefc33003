{#-
    Every indicator evaluated for every response of a wave it applies to, by
    joining the catalog's rule terms to int_answers_long (no per-indicator SQL):
      in_base = base_match 'all', or the response has any base (item, code) pair;
      is_yes  = numerator_match 'any': has at least one numerator pair,
                numerator_match 'none': has none of them.
-#}
with

responses as (

    select
        responses.response_id,
        responses.enterprise_key,
        responses.wave_id,
        responses.zone_id,
        weights.weight
    from {{ ref('stg_survey__responses') }} as responses
    left join {{ ref('int_response_weights') }} as weights
        on responses.response_id = weights.response_id

),

answers as (

    select * from {{ ref('int_answers_long') }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

terms as (

    select * from {{ ref('indicator_terms') }}

),

matches as (

    select
        answers.response_id,
        terms.indicator_id,
        terms.role,
        count(*) as n_matches
    from answers
    inner join terms
        on answers.item_id = terms.item_id
            and answers.value_code = terms.value_code
    group by answers.response_id, terms.indicator_id, terms.role

),

final as (

    select
        responses.response_id,
        responses.enterprise_key,
        responses.wave_id,
        responses.zone_id,
        responses.weight,
        indicators.indicator_id,
        coalesce(indicators.base_match = 'all' or base_matches.n_matches > 0, false) as in_base,
        case
            when indicators.numerator_match = 'none'
                then coalesce(numerator_matches.n_matches, 0) = 0
            else coalesce(numerator_matches.n_matches, 0) > 0
        end as is_yes
    from responses
    inner join indicators
        on responses.wave_id >= indicators.first_wave
            and (indicators.last_wave is null or responses.wave_id <= indicators.last_wave)
    left join matches as base_matches
        on responses.response_id = base_matches.response_id
            and indicators.indicator_id = base_matches.indicator_id
            and base_matches.role = 'base'
    left join matches as numerator_matches
        on responses.response_id = numerator_matches.response_id
            and indicators.indicator_id = numerator_matches.indicator_id
            and numerator_matches.role = 'numerator'

)

select * from final
