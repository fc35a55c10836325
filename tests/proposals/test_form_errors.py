"""The proposal form reports every error in one round (issue 18): the service's rules on the
budget and the division are checked with the fields, not on a second submit."""

from __future__ import annotations

from tests.conftest import submit
from tests.proposals.conftest import create_call, proposal_form, proposal_ids


def test_every_error_of_the_proposal_form_comes_in_one_round(app, client, login_as):
    call_id = create_call(app, max_contribution=100_000)
    login_as("citizen")
    data = proposal_form(app, group_name="", department_id="0")
    response = submit(client, f"/proposals/calls/{call_id}/new?lang=ja", data)
    html = response.text
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert "団体名を入力してください。" in summary  # the form's own check
    assert '<a href="#department_id">協働を希望する担当課を選んでください。' in summary
    assert "市の負担額が合計400,000円" in summary  # above the call's maximum
    assert 'href="#budget"' in summary
    assert proposal_ids(app) == []
    assert "江津湖の外来種駆除と環境学習" in html  # what was typed is kept
