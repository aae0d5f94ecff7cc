"""Reading the classroom's forms as a browser would: their hidden fields (the token and the
month they were drawn for) and the options they offer. Shared by the classroom tests."""

from __future__ import annotations

import re


def form_fields(page: str, form_id: str) -> dict[str, str]:
    """The hidden fields of the form ``form_id`` of a page."""
    form = page[page.index(f'id="{form_id}"'):]
    form = form[:form.index("</form>")]
    return dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))


def options(page: str) -> list[str]:
    """The identities of the moves a team page offers, in the order shown."""
    return re.findall(r'name="option" value="([^"]+)"', page)


def first_option(page: str) -> str:
    return options(page)[0]
