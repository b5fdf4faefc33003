{#-
    Additive per-zone-wave aggregates of every indicator, per wave x zone x domain
    (all, industry group, size class) x indicator: counts and weighted sums from
    which fct_indicator_estimates derives every zone's estimates and the pooled ALL
    rows (sums of sums), and which variance estimation can use later. One grouped
    scan of the zone-wave's staged rows: each indicator is one generated boolean
    expression over the wide columns (macros/indicators.sql); no response x item or
    response x indicator table exists. Incremental by zone-wave
    (macros/zone_waves.sql). For a 0/1 outcome y, w^2*y^2 = w^2*y.
-#}
{{ zone_wave_incremental_config() }}
{%- set to_build = zone_waves_to_build() -%}
{%- set catalog = indicator_catalog() -%}

with

stamps as (

    {{ zone_wave_stamps_sql() }}

),

responses as (

    select * from {{ ref('stg_survey__responses') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

weights as (

    select
        response_id,
        weight
    from {{ ref('int_response_weights') }}
    where {{ delivery_filter('delivery_id', to_build) }}

),

weighted as (

    select
        responses.*,
        weights.weight
    from responses
    left join weights
        on responses.response_id = weights.response_id

),

wide as (

    select
        delivery_id,
        wave_id,
        zone_id,
        case
            when grouping(industry_group) = 0 then 'industry_group'
            when grouping(size_class) = 0 then 'size_class'
            else 'all'
        end as domain_type,
        case
            when grouping(industry_group) = 0 then industry_group
            when grouping(size_class) = 0 then size_class
            else 'all'
        end as domain,
        {% for indicator in catalog %}
        {% set base = indicator_in_base(indicator) %}
        {% set yes = indicator_yes_flag(indicator) %}
        sum({{ indicator_base_flag(indicator) }}) as n_base__{{ loop.index }},
        sum({{ yes }}) as n_yes__{{ loop.index }},
        sum(case when {{ base }} and weight is not null then 1 else 0 end)
            as weighted_n_base__{{ loop.index }},
        sum(case when {{ base }} then weight end) as sum_weight__{{ loop.index }},
        sum(case when {{ base }} then weight * ({{ yes }}) end) as sum_weight_yes__{{ loop.index }},
        sum(case when {{ base }} then weight * weight end) as sum_weight_squared__{{ loop.index }},
        sum(case when {{ base }} then weight * weight * ({{ yes }}) end)
            as sum_weight_squared_yes__{{ loop.index }}{{ ',' if not loop.last }}
        {% endfor %}
    from weighted
    group by grouping sets (
        (delivery_id, wave_id, zone_id),
        (delivery_id, wave_id, zone_id, industry_group),
        (delivery_id, wave_id, zone_id, size_class)
    )

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
        {% for measure in ['n_base', 'n_yes', 'weighted_n_base', 'sum_weight', 'sum_weight_yes',
                           'sum_weight_squared', 'sum_weight_squared_yes'] %}
        case catalog.indicator_id
            {% for indicator in catalog %}
            when '{{ indicator.id }}' then wide.{{ measure }}__{{ loop.index }}
            {% endfor %}
        end as {{ measure }}{{ ',' if not loop.last }}
        {% endfor %}
    from wide
    cross join catalog
    -- a domain value of null (no industry group / size class) is no domain
    where wide.domain is not null

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
        long.delivery_id,
        stamps.zone_wave_stamp,
        '{{ invocation_id }}' as built_by
    from long
    inner join stamps
        on long.delivery_id = stamps.delivery_id
    -- an indicator nobody of the domain is in the base of has nothing to estimate
    where long.n_base > 0

)

select * from final
