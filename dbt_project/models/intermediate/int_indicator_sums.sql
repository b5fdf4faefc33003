{#-
    Additive per-zone-wave aggregates of every indicator, per wave x zone x domain
    (all, industry group, size class) x indicator: counts and weighted sums from
    which fct_indicator_estimates derives every zone's estimates and the pooled ALL
    rows (sums of sums), and which variance estimation can use later. One grouped
    scan of the zone-wave's staged rows: each indicator is one generated boolean
    expression over the wide columns (macros/indicators.sql); no response x item or
    response x indicator table exists. Incremental by zone-wave
    (macros/zone_waves.sql). For a 0/1 outcome y, w^2*y^2 = w^2*y. Bases are
    available-case; n_item_missing counts the base population's item non-response
    (macros/indicators.sql).
-#}
-- One generated expression per indicator and measure: sqlfluff's default budget
-- of 100000 parse nodes is just too small for the catalog (it parses in a minute).
-- sqlfluff:max_parse_nodes:200000
{{ zone_wave_incremental_config() }}
{%- set to_build = zone_waves_to_build() -%}
{%- set catalog = indicator_catalog() -%}
{%- set answer_items = indicator_answer_items(catalog) -%}
{%- set answer_keys = indicator_answer_keys(answer_items) -%}
{%- set measures = [
    'n_base', 'n_yes', 'weighted_n_base', 'sum_weight', 'sum_weight_yes',
    'sum_weight_squared', 'sum_weight_squared_yes', 'n_item_missing'
] -%}

{% if to_build == [] -%}
-- nothing to rebuild: no rows, the table's own columns
select * from {{ this }} where false
{%- else -%}
with

stamps as (

    select * from {{ ref('int_zone_wave_stamps') }}

),

responses as (

    select * from {{ ref('stg_survey__responses') }}
    where
        {{ delivery_filter('delivery_id', to_build) }}
        -- one questionnaire per enterprise and wave (macro latest_questionnaire_first)
        and questionnaire_rank = 1

),

weights as (

    select
        response_id,
        weight
    from {{ ref('int_response_weights') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

domain_types as (

    select 'all' as domain_type
    union all
    select 'industry_group' as domain_type
    union all
    select 'size_class' as domain_type

),

-- per response: each indicator's population (waves, base population) and
-- numerator, and each numerator item's answered / missing flags, once
answers as (

    select
        responses.delivery_id,
        responses.wave_id,
        responses.zone_id,
        responses.industry_group,
        responses.size_class,
        weights.weight,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {{ indicator_population(indicator, 'responses') }} as pop__{{ loop.index }},
        {{ indicator_any(indicator.numerator, 'responses') }} as num__{{ loop.index }},
        {% endfor %}
        {% for item in answer_items %}
        {{ indicator_item_unanswered(item, 'responses') }} as mis__{{ loop.index }},
        {{ indicator_item_answered(item, 'responses') }} as ans__{{ loop.index }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        responses.response_id
    from responses
    left join weights
        on responses.response_id = weights.response_id

),

-- per response: each indicator's in_base (available case), yes and item
-- non-response (a stream, never stored); generated from the catalog, laid out by
-- macros/indicators.sql
flags as (

    select
        delivery_id,
        wave_id,
        zone_id,
        industry_group,
        size_class,
        weight,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set names = {
            'population': 'pop__' ~ loop.index,
            'numerator': 'num__' ~ loop.index,
            'answer_keys': answer_keys,
        } %}
        {{ indicator_in_base(indicator, names=names) }} as base__{{ loop.index }},
        {{ indicator_numerator(indicator, names=names) }} as yes__{{ loop.index }},
        {{ indicator_item_missing(indicator, names=names) }} as missing__{{ loop.index }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        response_id
    from answers

),

-- each response counts in three domains: all, its industry group, its size class
in_domains as (

    select
        flags.*,
        domain_types.domain_type,
        case domain_types.domain_type
            when 'all' then 'all'
            when 'industry_group' then flags.industry_group
            else flags.size_class
        end as domain
    from flags
    cross join domain_types

),

wide as (

    select
        delivery_id,
        wave_id,
        zone_id,
        domain_type,
        domain,
        -- noqa: disable=LT02,LT05
        {% for indicator in catalog %}
        {% set i = loop.index %}
        {% set yes = 'case when yes__' ~ i ~ ' then 1 else 0 end' %}
        sum(case when base__{{ i }} then 1 else 0 end) as n_base__{{ i }},
        sum(case when base__{{ i }} and yes__{{ i }} then 1 else 0 end) as n_yes__{{ i }},
        sum(case when base__{{ i }} and weight is not null then 1 else 0 end)
            as weighted_n_base__{{ i }},
        sum(case when base__{{ i }} then weight end) as sum_weight__{{ i }},
        sum(case when base__{{ i }} then weight * {{ yes }} end) as sum_weight_yes__{{ i }},
        sum(case when base__{{ i }} then weight * weight end) as sum_weight_squared__{{ i }},
        sum(case when base__{{ i }} then weight * weight * {{ yes }} end)
            as sum_weight_squared_yes__{{ i }},
        count_if(missing__{{ i }}) as n_item_missing__{{ i }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        count(*) as n_responses
    from in_domains
    -- a domain value of null (no industry group / size class) is no domain
    where domain is not null
    group by delivery_id, wave_id, zone_id, domain_type, domain

),

catalog as (

    select indicator_id from {{ ref('indicators') }}

),

long as (

    select
        wide.delivery_id,
        wide.wave_id,
        wide.zone_id,
        wide.domain,
        wide.domain_type,
        catalog.indicator_id,
        -- noqa: disable=LT02,LT05
        {% for measure in measures %}
        case catalog.indicator_id
            {% for indicator in catalog %}
            when '{{ indicator.id }}' then wide.{{ measure }}__{{ loop.index }}
            {% endfor %}
        end as {{ measure }},
        {% endfor %}
        -- noqa: enable=LT02,LT05
        wide.n_responses
    from wide
    cross join catalog

),

final as (

    select
        long.wave_id,
        long.zone_id,
        long.domain,
        long.domain_type,
        long.indicator_id,
        cast(long.n_base as bigint) as n_base,
        cast(long.n_yes as bigint) as n_yes,
        cast(long.weighted_n_base as bigint) as weighted_n_base,
        long.sum_weight,
        long.sum_weight_yes,
        long.sum_weight_squared,
        long.sum_weight_squared_yes,
        cast(long.n_responses as bigint) as n_responses,
        cast(long.n_item_missing as bigint) as n_item_missing,
        long.delivery_id,
        {{ model_stamp('stamps.zone_wave_stamp') }} as zone_wave_stamp,
        '{{ invocation_id }}' as built_by
    from long
    inner join stamps
        on long.delivery_id = stamps.delivery_id
    -- an indicator nobody of the domain is in the base of (nor failed to answer)
    -- has nothing to estimate or report
    where long.n_base > 0 or long.n_item_missing > 0

)

select * from final
{%- endif %}
