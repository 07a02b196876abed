"""axe-core in a page: the serious and critical violations of WCAG 2.2 AA and best practice."""

RULES = """axe.run(document, {runOnly: {type: "tag",
    values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})"""


def serious_violations(page, axe_source) -> list:
    """(rule, impact, first targets) of each serious or critical violation on the page."""
    page.add_script_tag(path=str(axe_source))
    result = page.evaluate(RULES)
    assert result["passes"], "axe ran no rule"
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]
