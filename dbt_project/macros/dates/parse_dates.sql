{#-
    Typing of the raw layer's text dates (raw columns are text, exactly as delivered).

    parse_date(column, formats)   -> date
    parse_timestamp(column, formats) -> timestamp (without time zone: the extracts carry
                                        local wall-clock times and no offset)

    Empty or blank text gives NULL, and so does text that matches none of the formats or is
    not a real calendar date ('31/02/2024', '2024-13-01'): the macros never raise, so one
    bad value cannot fail a whole model. Put a not_null test on columns that must be filled.
    Pure SQL (regexp_match + make_date behind guards), no session DateStyle or TimeZone
    dependence.
-#}

{%- macro _date_format_spec(fmt, with_time) -%}
    {#- returns a dict: regex, and the capture-group positions of y, m, d (and hh, mi, ss) -#}
    {%- set time_part = '[ T](\\d{1,2}):(\\d{2})(?::(\\d{2}(?:\\.\\d{1,6})?))?' -%}
    {%- if fmt == 'dd/mm/yyyy' -%}
        {%- set spec = {'regex': '(\\d{1,2})/(\\d{1,2})/(\\d{4})', 'y': 3, 'm': 2, 'd': 1} -%}
    {%- elif fmt == 'yyyy-mm-dd' -%}
        {%- set spec = {'regex': '(\\d{4})-(\\d{1,2})-(\\d{1,2})', 'y': 1, 'm': 2, 'd': 3} -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "parse_date/parse_timestamp: unknown format '" ~ fmt
            ~ "' (known: 'dd/mm/yyyy', 'yyyy-mm-dd')") }}
    {%- endif -%}
    {%- if with_time -%}
        {%- do spec.update({'regex': '^' ~ spec.regex ~ time_part ~ '$'}) -%}
    {%- else -%}
        {%- do spec.update({'regex': '^' ~ spec.regex ~ '$'}) -%}
    {%- endif -%}
    {{ return(spec) }}
{%- endmacro -%}


{%- macro _ymd_to_date(y, m, d) -%}
    {#- make_date only once the parts are known to form a real date (never raises) -#}
    case
        when {{ m }} between 1 and 12 and {{ d }} between 1 and 31 and {{ y }} between 1 and 9999
            then
                case
                    when
                        {{ d }} <= (
                            (make_date({{ y }}, {{ m }}, 1) + interval '1 month')::date
                            - make_date({{ y }}, {{ m }}, 1)
                        )
                        then make_date({{ y }}, {{ m }}, {{ d }})
                end
    end
{%- endmacro -%}


{%- macro _fast_parts(fmt, value, with_time) -%}
    {#-
        The common, zero-padded shape of a format, read with substr (no regexp_match): the
        regex that recognises it and the SQL of each part. Anything else (unpadded digits,
        fractions of a second) falls back to the general regex path.
    -#}
    {%- if fmt == 'dd/mm/yyyy' -%}
        {%- set spec = {'regex': '\\d{2}/\\d{2}/\\d{4}', 'y': [7, 4], 'm': [4, 2], 'd': [1, 2]} -%}
    {%- else -%}
        {%- set spec = {'regex': '\\d{4}-\\d{2}-\\d{2}', 'y': [1, 4], 'm': [6, 2], 'd': [9, 2]} -%}
    {%- endif -%}
    {%- set out = {} -%}
    {%- for part in ['y', 'm', 'd'] -%}
        {%- set at, width = spec[part] -%}
        {%- do out.update({part: "substr(" ~ value ~ ", " ~ at ~ ", " ~ width ~ ")::int"}) -%}
    {%- endfor -%}
    {%- if with_time -%}
        {%- do out.update({
            'regex': '^' ~ spec.regex ~ '[ T]\\d{2}:\\d{2}:\\d{2}$',
            'hh': "substr(" ~ value ~ ", 12, 2)::int",
            'mi': "substr(" ~ value ~ ", 15, 2)::int",
            'ss': "substr(" ~ value ~ ", 18, 2)::int"}) -%}
    {%- else -%}
        {%- do out.update({'regex': '^' ~ spec.regex ~ '$'}) -%}
    {%- endif -%}
    {{ return(out) }}
{%- endmacro -%}


{%- macro parse_date(column, formats=none) -%}
    {#-
        Per format: the zero-padded shape is read with substr (one regex test per value: the
        cost of a date column at scale 1 went from ~300 to ~10 microseconds a row); other
        shapes that the format allows go through regexp_match, tested first so a value of
        another format costs one regex test.
    -#}
    {%- set formats = formats or ['dd/mm/yyyy', 'yyyy-mm-dd'] -%}
    {%- if formats is string -%}{%- set formats = [formats] -%}{%- endif -%}
    {%- set value = "btrim((" ~ column ~ ")::text)" -%}
    coalesce(
    {%- for fmt in formats %}
        {%- set spec = _date_format_spec(fmt, false) %}
        {%- set fast = _fast_parts(fmt, value, false) %}
        {%- set parts = "(regexp_match(" ~ value ~ ", '" ~ spec.regex ~ "'))" %}
        case
            when {{ value }} ~ '{{ fast.regex }}'
                then {{ _ymd_to_date(fast.y, fast.m, fast.d) }}
            when {{ value }} ~ '{{ spec.regex }}'
                then {{ _ymd_to_date(
                    parts ~ "[" ~ spec.y ~ "]::int",
                    parts ~ "[" ~ spec.m ~ "]::int",
                    parts ~ "[" ~ spec.d ~ "]::int") }}
        end{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro -%}


{%- macro parse_timestamp(column, formats=none) -%}
    {#-
        'dd/mm/yyyy HH:MM[:SS]' and 'yyyy-mm-dd[T ]HH:MM[:SS[.ffffff]]'; a bare date is not
        a timestamp (NULL) - use parse_date for date columns. The zero-padded
        'yyyy-mm-ddTHH:MM:SS' shape is read with substr, as in parse_date.
    -#}
    {%- set formats = formats or ['dd/mm/yyyy', 'yyyy-mm-dd'] -%}
    {%- if formats is string -%}{%- set formats = [formats] -%}{%- endif -%}
    {%- set value = "btrim((" ~ column ~ ")::text)" -%}
    coalesce(
    {%- for fmt in formats %}
        {%- set spec = _date_format_spec(fmt, true) %}
        {%- set fast = _fast_parts(fmt, value, true) %}
        {%- set parts = "(regexp_match(" ~ value ~ ", '" ~ spec.regex ~ "'))" %}
        case
            when
                {{ value }} ~ '{{ fast.regex }}'
                and {{ fast.hh }} between 0 and 23
                and {{ fast.mi }} between 0 and 59
                and {{ fast.ss }} between 0 and 59
                then
                    {{ _ymd_to_date(fast.y, fast.m, fast.d) }}
                    + make_interval(hours => {{ fast.hh }}, mins => {{ fast.mi }}, secs => {{ fast.ss }})
            when
                {{ value }} ~ '{{ spec.regex }}'
                and {{ parts }}[4]::int between 0 and 23
                and {{ parts }}[5]::int between 0 and 59
                and coalesce({{ parts }}[6]::numeric, 0) < 60
                then
                    {{ _ymd_to_date(
                        parts ~ "[" ~ spec.y ~ "]::int",
                        parts ~ "[" ~ spec.m ~ "]::int",
                        parts ~ "[" ~ spec.d ~ "]::int") }}
                    + make_interval(
                        hours => {{ parts }}[4]::int,
                        mins => {{ parts }}[5]::int,
                        secs => coalesce({{ parts }}[6]::double precision, 0)
                    )
        end{{ "," if not loop.last }}
    {%- endfor %}
    )
{%- endmacro -%}
