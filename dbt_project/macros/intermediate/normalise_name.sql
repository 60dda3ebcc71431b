{#-
    normalise_name(expr): a name reduced to the letters a-z, for matching people across the
    trust and council systems. Case, spaces, hyphens, apostrophes and any other punctuation
    are dropped, and accented Latin letters become their base letter (explicit map below:
    no unaccent extension needed). 'ß' becomes 'ss', 'æ' 'ae', 'œ' 'oe'.

        normalise_name("'Zoë-Anne'")  -> 'zoeanne'
        normalise_name("O'BRIEN")     -> 'obrien'
        normalise_name('  Siân ')     -> 'sian'

    An empty result gives NULL (never match on an empty name).
-#}
{%- macro normalise_name(expr) -%}
    {%- set accents = {
        'a': 'àáâãäåāăąǎÀÁÂÃÄÅĀĂĄǍ',
        'c': 'çćĉċčÇĆĈĊČ',
        'd': 'ďđĎĐ',
        'e': 'èéêëēĕėęěÈÉÊËĒĔĖĘĚ',
        'g': 'ĝğġģĜĞĠĢ',
        'h': 'ĥħĤĦ',
        'i': 'ìíîïĩīĭįıÌÍÎÏĨĪĬĮİ',
        'j': 'ĵĴ',
        'k': 'ķĶ',
        'l': 'ĺļľŀłĹĻĽĿŁ',
        'n': 'ñńņňÑŃŅŇ',
        'o': 'òóôõöøōŏőǒÒÓÔÕÖØŌŎŐǑ',
        'r': 'ŕŗřŔŖŘ',
        's': 'śŝşšŚŜŞŠ',
        't': 'ţťŧŢŤŦ',
        'u': 'ùúûüũūŭůűųǔÙÚÛÜŨŪŬŮŰŲǓ',
        'w': 'ŵŴ',
        'y': 'ýÿŷÝŸŶ',
        'z': 'źżžŹŻŽ',
    } -%}
    {%- set ns = namespace(src='', dst='') -%}
    {%- for base, letters in accents.items() -%}
        {%- set ns.src = ns.src ~ letters -%}
        {%- set ns.dst = ns.dst ~ (base * (letters | length)) -%}
    {%- endfor -%}
    nullif(
        regexp_replace(
            lower(
                translate(
                    replace(replace(replace(replace(replace(replace(
                        ({{ expr }})::text,
                        'ß', 'ss'), 'Æ', 'ae'), 'æ', 'ae'), 'Œ', 'oe'), 'œ', 'oe'), 'ẞ', 'ss'),
                    '{{ ns.src }}',
                    '{{ ns.dst }}'
                )
            ),
            '[^a-z]', '', 'g'
        ),
        ''
    )
{%- endmacro -%}
