"""Rule plugins: export controls, subsidies and policies that change which plans are allowed and what they cost.

One module per concern, each registered through the ``tokenplan`` entry-point group in ``pyproject.toml``:

- ``cn_export_controls``: ``cn.export_controls`` (bans and licence fees for foreign chips in China);
- ``cn_subsidies``: ``cn.national_ai_city`` and ``cn.hub_node`` (capex subsidies with a domestic-only condition);
- ``cn_power_discount``: ``cn.domestic_power_discount`` (electricity discount for domestic-only sites);
- ``domestic_share``: ``policy.domestic_share`` (a minimum domestic share of accelerators or capex).

The mathematics, parameters and sources are in ``docs/rules.md``; ``_common`` holds what they share.
"""
