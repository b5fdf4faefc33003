{#-
    The one generic base of every indicator and score: one row per response x
    item x value code the respondent "has".
      - single/band items: the delivered code (value_source = delivered);
      - multi items: one row per selected option (value_code = option code);
      - crosswalk: a v2022 answer also yields the v2020 code the codebook maps it
        to, when that differs (C1 1_10 -> C1 1_25, B3b gt_50 -> B3_cloud migrated);
      - derived pseudo-items (X_...): report size bands, industry group, size class.
    Skipped items have no row. Restricted items never enter.
-#}
{%- set columns = codebook_columns() -%}

with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

delivered as (

    {% for col in columns if col.coded and not col.restricted %}
    {% set is_multi = col.type == 'multi' %}
    {% set cast_value = "cast(" ~ col.name ~ " as " ~ dbt.type_string() ~ ")" %}
    {% set value = ("'" ~ col.option ~ "'") if is_multi else cast_value %}
    select
        response_id,
        '{{ col.item }}' as item_id,
        {{ value }} as value_code
    from responses
    where {{ col.name ~ ("" if is_multi else " is not null") }}
    {{ "union all" if not loop.last }}
    {% endfor %}

),

crosswalked as (

    select
        delivered.response_id,
        crosswalk.target_item as item_id,
        crosswalk.target_code as value_code
    from delivered
    inner join responses
        on delivered.response_id = responses.response_id
    inner join {{ ref('cb_crosswalk') }} as crosswalk
        on responses.instrument_version = crosswalk.instrument_version
            and delivered.item_id = crosswalk.source_item
            and delivered.value_code = crosswalk.source_code
    where
        crosswalk.target_item != crosswalk.source_item
        or crosswalk.target_code != crosswalk.source_code

),

derived as (

    select
        response_id,
        'X_employees_lt50' as item_id,
        case when employees_lt50 then 'yes' else 'no' end as value_code
    from responses
    where employees_lt50 is not null
    union all
    select
        response_id,
        'X_revenue_lt20m' as item_id,
        case when revenue_lt20m then 'yes' else 'no' end as value_code
    from responses
    where revenue_lt20m is not null
    union all
    select
        response_id,
        'X_industry_group' as item_id,
        industry_group as value_code
    from responses
    where industry_group is not null
    union all
    select
        response_id,
        'X_size_class' as item_id,
        size_class as value_code
    from responses
    where size_class is not null

),

answers as (

    select
        response_id,
        item_id,
        value_code,
        'delivered' as value_source
    from delivered
    union all
    select
        response_id,
        item_id,
        value_code,
        'crosswalk' as value_source
    from crosswalked
    union all
    select
        response_id,
        item_id,
        value_code,
        'derived' as value_source
    from derived

),

final as (

    select
        answers.response_id,
        responses.enterprise_key,
        responses.wave_id,
        responses.zone_id,
        responses.instrument_version,
        answers.item_id,
        answers.value_code,
        answers.value_source
    from answers
    inner join responses
        on answers.response_id = responses.response_id

)

select * from final
