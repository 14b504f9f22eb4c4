"""The activation zoo's properties table fits its column on a desktop (1280 px): read
whole, without scrolling sideways (issue 20: it stuck out of its column)."""
from __future__ import annotations

from urllib.parse import urljoin

import pytest

pytestmark = pytest.mark.slow

_FIT_JS = """() => {
  const table = Array.from(document.querySelectorAll('table'))
    .find(t => t.innerText.includes('dead zone') && t.innerText.includes('ns per element'));
  if (!table) return null;
  const column = document.querySelector('main article.bd-article') || document.querySelector('main');
  const box = table.closest('.pst-scrollable-table-container, .cell_output .output') || table.parentElement;
  return {table: table.getBoundingClientRect().width, right: table.getBoundingClientRect().right,
          column_right: column.getBoundingClientRect().right,
          box_scroll: box.scrollWidth, box_client: box.clientWidth};
}"""


def test_zoo_properties_table_fits_its_column_at_1280_px(server, browser):
    page = browser.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(urljoin(server, "book/activation_zoo.html"), wait_until="networkidle")
    fit = page.evaluate(_FIT_JS)
    page.close()
    assert fit is not None, "no properties table (a table with 'dead zone' and 'ns per element') on the page"
    assert fit["right"] <= fit["column_right"] + 1, f"the table sticks out of its column: {fit}"
    assert fit["box_scroll"] <= fit["box_client"] + 1, f"the table needs sideways scrolling: {fit}"
