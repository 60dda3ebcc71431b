{#-
    pseudonymise(expr, prefix=''): the pseudonymous key of an identifier, for the BI marts:
    lower-case hex HMAC-SHA256 of the identifier's text with the warehouse's secret, read at
    run time from ops.pseudonym_secret (see src/csc_warehouse/pseudonym.py). The secret never
    appears in SQL text, vars or logs; without the table the model fails (install_secret
    first). pgcrypto's hmac() must be on the search path (public).

    A prefix (e.g. 'worker:') keeps keys of different kinds of identifier apart.
-#}
{%- macro pseudonymise(expr, prefix='') -%}
    encode(
        hmac(
    {%- if prefix %}
            '{{ prefix }}' || ({{ expr }})::text,
            {%- else %}
            ({{ expr }})::text,
    {%- endif %}
            (select __ps.secret from ops.pseudonym_secret as __ps),
            'sha256'
        ),
        'hex'
    )
{%- endmacro -%}
