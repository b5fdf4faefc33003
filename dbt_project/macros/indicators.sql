{#-
    Indicator rules as SQL over the wide columns of int_responses_classified, from the
    generated catalog (macros/generated/indicator_catalog.sql, itself generated from
    the seeds indicators / indicator_terms: the one definition). A response "has"
    (item, code) when the single/band column holds the code, the multi option's
    boolean column is true, a v2022 answer's crosswalk maps onto it, or a derived
    attribute (employees_lt50, revenue_lt20m, industry_group, size_class) says so.
    Every expression is true or false, never null. Bases are available-case: see
    indicator_in_base and indicator_item_missing (item non-response).
-#}

{% macro indicator_condition(cond, relation='') -%}
    {%- set col = (relation ~ '.' if relation else '') ~ cond.column -%}
    {%- if cond.flag is defined and cond.flag -%}
        {%- set test = 'coalesce(' ~ col ~ ', false)' -%}
    {%- elif cond['is'] is defined -%}
        {%- set test = 'coalesce(' ~ ('' if cond['is'] else 'not ') ~ col ~ ', false)' -%}
    {%- else -%}
        {%- set codes = [] -%}
        {%- for code in cond.codes -%}{%- do codes.append("'" ~ code ~ "'") -%}{%- endfor -%}
        {%- set test = 'coalesce(' ~ col ~ ' in (' ~ codes | join(', ') ~ '), false)' -%}
        {%- if test | length > 70 -%}
            {%- set test = 'coalesce(\n' ~ ' ' * 16 ~ col ~ ' in (' ~ codes | join(', ') ~ '),\n' ~ ' ' * 16 ~ 'false\n' ~ ' ' * 12 ~ ')' -%}
        {%- endif -%}
    {%- endif -%}
    {%- if cond.version -%}
        {%- set version_col = (relation ~ '.' if relation else '') ~ 'instrument_version' -%}
        ({{ version_col }} = '{{ cond.version }}' and {{ test }})
    {%- else -%}
        {{ test }}
    {%- endif -%}
{%- endmacro %}

{% macro indicator_any(conditions, relation='', indent=12) -%}
    {%- if conditions | length == 0 -%}
        false
    {%- else -%}
        {%- set parts = [] -%}
        {%- for cond in conditions -%}
            {%- do parts.append(indicator_condition(cond, relation)) -%}
        {%- endfor -%}
        {{- '(' ~ parts | join('\n' ~ ' ' * indent ~ 'or ') ~ ')' -}}
    {%- endif -%}
{%- endmacro %}

{#- The response's wave is within the indicator's first_wave..last_wave. -#}
{% macro indicator_in_waves(indicator, relation='') -%}
    {%- set wave = (relation ~ '.' if relation else '') ~ 'wave_id' -%}
    {{ wave }} >= {{ indicator.first_wave }}
    {%- if indicator.last_wave is not none %} and {{ wave }} <= {{ indicator.last_wave }}{% endif %}
{%- endmacro %}

{#- When the condition's item is put to the respondent (codebook item versions and
    asked_if skip rule, carried by the generated catalog as `asked`). An asked_if item
    that is itself unanswered counts as asked: its follow-up cannot be known to be
    skipped, so a missing follow-up is non-response, not "not asked". -#}
{% macro indicator_condition_asked(cond, relation='') -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {%- set parts = [] -%}
    {%- set versions = [] -%}
    {%- if cond.version -%}{%- do versions.append(cond.version) -%}{%- endif -%}
    {%- if cond.asked and cond.asked.versions and not cond.version -%}
        {%- for v in cond.asked.versions -%}{%- do versions.append(v) -%}{%- endfor -%}
    {%- endif -%}
    {%- if versions -%}
        {%- set quoted = [] -%}
        {%- for v in versions -%}{%- do quoted.append("'" ~ v ~ "'") -%}{%- endfor -%}
        {%- do parts.append(prefix ~ 'instrument_version in (' ~ quoted | join(', ') ~ ')') -%}
    {%- endif -%}
    {%- if cond.asked and cond.asked['if'] -%}
        {%- set rule = cond.asked['if'] -%}
        {%- set codes = [] -%}
        {%- for code in rule.codes -%}{%- do codes.append("'" ~ code ~ "'") -%}{%- endfor -%}
        {%- do parts.append(
            'coalesce(' ~ prefix ~ rule.column ~ (' not in (' if rule.negate else ' in (')
            ~ codes | join(', ') ~ '), true)'
        ) -%}
    {%- endif -%}
    {{- '(' ~ parts | join(' and ') ~ ')' if parts else 'true' -}}
{%- endmacro %}

{#- The numerator conditions' items, each once (by column, version and `asked`),
    for models that compute the answered / missing flags of every item once and
    then refer to them by name (int_indicator_sums: fewer, shorter expressions). -#}
{% macro indicator_answer_key(cond) -%}
    {{- cond.column ~ '|' ~ (cond.version or '') ~ '|' ~ (cond.asked | string) -}}
{%- endmacro %}

{% macro indicator_answer_items(catalog) -%}
    {%- set keys = [] -%}
    {%- set out = [] -%}
    {%- for indicator in catalog -%}
        {%- for cond in indicator.numerator -%}
            {%- set key = indicator_answer_key(cond) -%}
            {%- if key not in keys -%}
                {%- do keys.append(key) -%}
                {%- do out.append(cond) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- Their keys, in the same order (mis__<n> / ans__<n> is item n). -#}
{% macro indicator_answer_keys(items) -%}
    {%- set keys = [] -%}
    {%- for item in items -%}
        {%- do keys.append(indicator_answer_key(item) | string) -%}
    {%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#- The item was asked and left unanswered (missing) / asked and answered. -#}
{% macro indicator_item_unanswered(cond, relation='') -%}
    ({{ indicator_condition_asked(cond, relation) }} and {{ (relation ~ '.' if relation else '') ~ cond.column }} is null)
{%- endmacro %}

{% macro indicator_item_answered(cond, relation='') -%}
    ({{ indicator_condition_asked(cond, relation) }} and {{ (relation ~ '.' if relation else '') ~ cond.column }} is not null)
{%- endmacro %}

{#- Within the indicator's waves and its base population (items of the base
    population left unanswered put a respondent outside it). -#}
{% macro indicator_population(indicator, relation='') -%}
    {%- if indicator.base is none -%}
        ({{ indicator_in_waves(indicator, relation) }})
    {%- else -%}
        (
            {{ indicator_in_waves(indicator, relation) }}
            and {{ indicator_any(indicator.base, relation) }}
        )
    {%- endif -%}
{%- endmacro %}

{#- The parts every available-case expression is made of, as SQL: population,
    numerator (any pair holds), missing and answered (one term per numerator
    condition). Inline expressions over `relation`, or, with `names` (a dict of
    the indicator's population and numerator column names and `answer_keys`, the
    keys of indicator_answer_items in order, whose flags are columns mis__<n> and
    ans__<n>; see int_indicator_sums), the names of columns computed before. -#}
{% macro indicator_parts(indicator, relation='', names=none) -%}
    {%- set missing = [] -%}
    {%- set answered = [] -%}
    {%- if names is none -%}
        {%- for cond in indicator.numerator -%}
            {%- do missing.append(indicator_item_unanswered(cond, relation)) -%}
            {%- do answered.append(indicator_item_answered(cond, relation)) -%}
        {%- endfor -%}
        {{ return({
            'population': indicator_population(indicator, relation),
            'numerator': indicator_any(indicator.numerator, relation),
            'missing': missing,
            'answered': answered,
        }) }}
    {%- else -%}
        {%- for cond in indicator.numerator -%}
            {%- set k = names['answer_keys'].index(indicator_answer_key(cond) | string) + 1 -%}
            {%- do missing.append('mis__' ~ k) -%}
            {%- do answered.append('ans__' ~ k) -%}
        {%- endfor -%}
        {{ return({
            'population': names.population,
            'numerator': names.numerator,
            'missing': missing,
            'answered': answered,
        }) }}
    {%- endif -%}
{%- endmacro %}

{#- in_base (available case): within the waves and the base population, and the
    answers decide the rule: a numerator pair holds (whatever else is missing), or
    no asked item is unanswered and some item was asked and answered (with
    not_asked = no, also when nothing was asked: a logical "no"). Respondents not
    asked the item(s) are outside (unless not_asked = no); respondents asked who did
    not answer are outside too, counted by indicator_item_missing. One line: this
    is repeated for every indicator. -#}
{% macro indicator_in_base(indicator, relation='', names=none) -%}
    {%- set p = indicator_parts(indicator, relation, names) -%}
    {%- set not_missing = 'not (' ~ p.missing | join(' or ') ~ ')' -%}
    {%- set answered = '(' ~ p.answered | join(' or ') ~ ')' -%}
    {%- if indicator.not_asked == 'no' -%}
        {%- set decided = not_missing -%}
    {%- elif p.answered | length == 1 -%}
        {#- one item: answered already means not missing -#}
        {%- set decided = answered -%}
    {%- else -%}
        {%- set decided = not_missing ~ ' and ' ~ answered -%}
    {%- endif -%}
    ({{ p.population }} and ({{ p.numerator }} or ({{ decided }})))
{%- endmacro %}

{#- Item non-response: within the waves and the base population, no numerator pair
    holds, and some asked numerator item is unanswered. Disjoint from in_base. -#}
{% macro indicator_item_missing(indicator, relation='', names=none) -%}
    {%- set p = indicator_parts(indicator, relation, names) -%}
    ({{ p.population }} and not {{ p.numerator }} and ({{ p.missing | join(' or ') }}))
{%- endmacro %}

{#- The numerator alone: any of its terms holds (match any), or none does. is_yes
    is in_base and numerator. -#}
{% macro indicator_numerator(indicator, relation='', names=none) -%}
    {%- if names is none -%}
        {{ 'not ' if indicator.numerator_match == 'none' }}{{ indicator_any(indicator.numerator, relation, indent=8) }}
    {%- else -%}
        {{ 'not ' if indicator.numerator_match == 'none' }}{{ names.numerator }}
    {%- endif -%}
{%- endmacro %}

{#- Mean of the non-null score_<dimension> columns (null when all are null), the
    same as avg() over the dimensions that apply. -#}
{% macro dma_mean(dimensions) -%}
    {%- set sums = [] -%}
    {%- set counts = [] -%}
    {%- for dim in dimensions -%}
        {%- do sums.append('coalesce(score_' ~ dim ~ ', 0.0)') -%}
        {%- do counts.append('case when score_' ~ dim ~ ' is not null then 1 else 0 end') -%}
    {%- endfor -%}
    {{ safe_ratio(sums | join('\n' ~ ' ' * 12 ~ '+ '), counts | join('\n' ~ ' ' * 12 ~ '+ ')) }}
{%- endmacro %}

{#- The catalog entries (macro indicator_catalog) by id. -#}
{% macro catalog_by_id(catalog) -%}
    {%- set out = {} -%}
    {%- for indicator in catalog -%}
        {%- do out.update({indicator.id: indicator}) -%}
    {%- endfor -%}
    {{ return(out) }}
{%- endmacro %}

{#- Every indicator the scoring rules (macro scoring_catalog) use, once, in order. -#}
{% macro scoring_indicator_ids(scoring) -%}
    {%- set used = [] -%}
    {%- for dims in scoring.values() -%}
        {%- for ids in dims.values() -%}
            {%- for id in ids if id not in used -%}{%- do used.append(id) -%}{%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(used) }}
{%- endmacro %}
