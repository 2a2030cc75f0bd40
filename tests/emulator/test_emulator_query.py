"""The query language: SELECT * / COUNT(*), WHERE ... AND, operators, ORDERBY, paging, faults."""

from __future__ import annotations

import pytest
from emu_helpers import fault_code


@pytest.fixture
def people(api):
    names = ["Acme Dental LLC", "Bayside Vets", "O'Brien & Sons", "Acme Plumbing", "Zeta Labs"]
    return [api.customer(name, GivenName=name.split()[0]) for name in names]


def names(response: dict, entity: str = "Customer") -> list[str]:
    return [c["DisplayName"] for c in response.get(entity, [])]


def test_select_all_and_count(api, people):
    result = api.q("SELECT * FROM Customer")
    assert (
        len(result["Customer"]) == 5 and result["startPosition"] == 1 and result["maxResults"] == 5
    )
    assert api.q("select count(*) from Customer") == {"totalCount": 5}
    assert api.q("SELECT COUNT(*) FROM Customer WHERE DisplayName LIKE 'Acme%'") == {
        "totalCount": 2
    }


def test_where_operators(api, people):
    assert names(api.q("select * from Customer where DisplayName = 'Bayside Vets'")) == [
        "Bayside Vets"
    ]
    assert names(api.q("select * from Customer where DisplayName LIKE '%Labs'")) == ["Zeta Labs"]
    assert names(api.q("select * from Customer where DisplayName LIKE '%dent%'")) == [
        "Acme Dental LLC"
    ]
    found = api.q("select * from Customer where DisplayName IN ('Zeta Labs', 'Bayside Vets')")
    assert sorted(names(found)) == ["Bayside Vets", "Zeta Labs"]
    both = api.q("select * from Customer where GivenName = 'Acme' AND DisplayName LIKE '%Plumbing'")
    assert names(both) == ["Acme Plumbing"]
    assert names(api.q("select * from Customer where DisplayName = 'O\\'Brien & Sons'")) == [
        "O'Brien & Sons"
    ]
    assert names(api.q(f"select * from Customer where Id >= '{people[3]['Id']}'")) == [
        "Acme Plumbing",
        "Zeta Labs",
    ]


def test_numeric_date_and_ref_filters(api, people, clock):
    first = api.invoice(people[0]["Id"], 100)
    clock.advance(86400)
    api.reauth()
    api.invoice(people[1]["Id"], 300)
    assert len(api.q("select * from Invoice where TotalAmt > 150")["Invoice"]) == 1
    assert len(api.q("select * from Invoice where TotalAmt <= 100")["Invoice"]) == 1
    assert len(api.q("select * from Invoice where TxnDate < '2026-01-16'")["Invoice"]) == 1
    by_ref = api.q(f"select * from Invoice where CustomerRef = '{people[0]['Id']}'")
    assert [i["Id"] for i in by_ref["Invoice"]] == [first["Id"]]
    changed = api.q(
        "select * from Invoice where MetaData.LastUpdatedTime > '2026-01-16T00:00:00-08:00'"
    )
    assert len(changed["Invoice"]) == 1
    undeposited = api.q("select * from Account where AccountSubType = 'UndepositedFunds'")
    assert undeposited["Account"][0]["Id"] == "4"


def test_orderby_both_spellings_and_paging(api, people):
    desc = api.q("select * from Customer ORDERBY DisplayName DESC")
    assert names(desc)[0] == "Zeta Labs"
    asc = api.q("select * from Customer order by DisplayName")
    assert names(asc)[:2] == ["Acme Dental LLC", "Acme Plumbing"]
    page = api.q("select * from Customer ORDER BY DisplayName STARTPOSITION 2 MAXRESULTS 2")
    assert names(page) == ["Acme Plumbing", "Bayside Vets"]
    assert page["startPosition"] == 2 and page["maxResults"] == 2
    lower = api.q("select * from Customer orderby DisplayName startposition 5 maxresults 10")
    assert names(lower) == ["Zeta Labs"]


def test_no_match_omits_entity_key(api, people):
    assert api.q("select * from Customer where DisplayName = 'Nobody'") == {}
    assert api.q("select * from Customer STARTPOSITION 50") == {}


def test_default_and_maximum_page_size(api):
    for i in range(105):
        api.customer(f"Customer {i:03d}")
    assert len(api.q("select * from Customer")["Customer"]) == 100
    assert len(api.q("select * from Customer maxresults 1000")["Customer"]) == 105
    for too_many in (1001, 5000, 0):
        response = api.query(f"select * from Customer maxresults {too_many}")
        assert response.status_code == 400 and fault_code(response) == "4000"
        assert "Max allowed value is: 1000" in response.json["Fault"]["Error"][0]["Detail"]


def test_post_query_as_application_text(api, people):
    response = api.client.post(
        api.url("query"),
        data="select * from Customer where DisplayName = 'Zeta Labs'",
        headers={**api.headers, "Content-Type": "application/text"},
    )
    assert names(api.ok(response)["QueryResponse"]) == ["Zeta Labs"]


@pytest.mark.parametrize(
    "text",
    [
        "select * from Customer where Nickname = 'x'",
        "select * from Customr",
        "select * from customer",
        "select DisplayName from Customer",
        "select * from Customer where DisplayName = 'a' OR DisplayName = 'b'",
        "delete from Customer",
    ],
)
def test_bad_queries_give_400(api, text):
    response = api.query(text)
    assert response.status_code == 400 and fault_code(response) == "4000"


def test_pyqb_select_star_comma_field(api):
    assert api.q("SELECT *, Sku FROM Item")["Item"][0]["Name"] == "Services"
