"""The deposit accounts offered on the settings page, cached from QBO into QboAccount."""

from __future__ import annotations

from ..extensions import db
from ..models import Firm, QboAccount, QboConnection, utcnow
from . import mapping

OFFERED_TYPES = mapping.DEPOSITABLE_TYPES


def offered_accounts(firm: Firm, connection: QboConnection | None) -> list[QboAccount]:
    """Active cached Bank / Other Current Asset accounts of the connected company, by name."""
    if connection is None:
        return []
    return list(
        db.session.execute(
            db.select(QboAccount)
            .filter_by(firm_id=firm.id, realm_id=connection.realm_id, active=True)
            .order_by(QboAccount.name)
        ).scalars()
    )


def refresh_company_cache(ctx) -> int:
    """Fetch the company name and deposit accounts; rows not returned become inactive.

    The job that calls this commits.

    Returns:
        How many of the accounts are active.

    Raises:
        QboError: QBO failed; the page keeps the old list.
    """
    connection, firm_id = ctx.connection, ctx.firm.id
    info = ctx.client.company_info()
    found = ctx.client.query("Account", "AccountType IN ('Bank', 'Other Current Asset')")
    connection.company_name = info.get("CompanyName") or connection.company_name
    cached = {
        a.qbo_id: a
        for a in db.session.execute(
            db.select(QboAccount).filter_by(firm_id=firm_id, realm_id=connection.realm_id)
        ).scalars()
    }
    now = utcnow()
    seen = set()
    for account in found:
        if account.get("AccountType") not in OFFERED_TYPES:
            continue
        qbo_id = str(account["Id"])
        seen.add(qbo_id)
        row = cached.get(qbo_id) or QboAccount(
            firm_id=firm_id, realm_id=connection.realm_id, qbo_id=qbo_id
        )
        row.name = account.get("Name", qbo_id)[:200]
        row.account_type = account["AccountType"]
        row.account_sub_type = account.get("AccountSubType")
        row.active = account.get("Active", True) is not False
        row.fetched_at = now
        db.session.add(row)
    for qbo_id, row in cached.items():
        if qbo_id not in seen:
            row.active = False
    connection.accounts_fetched_at = now
    connection.last_success_at = now
    return len([1 for a in found if a.get("Active", True) is not False])
