"""Statutory returns: writers for the CIN census (XML) and the SSDA903 (CSV tables), the DfE
validators run in their own environments, and the validation report.

* :mod:`.cin_census` - ``CINCensus`` / ``Child`` / ``Referral`` ... -> ``write_cin_census``
* :mod:`.ssda903` - ``SSDA903Return`` / ``LookedAfterChild`` / ``Episode`` ... -> ``write_ssda903``
* :mod:`.validators` - ``validate_cin``, ``validate_903`` -> ``ValidationResult``
* :mod:`.report` - ``write_validation_report`` (CSV + Markdown + HTML)

See docs/returns.md.
"""
