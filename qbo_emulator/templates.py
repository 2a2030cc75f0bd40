"""Inline Jinja templates for the consent page and the company pages."""

BASE_STYLE = """
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; color: #222; padding: 0 1rem; }
  h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
  th { background: #f3f5f7; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  nav a { margin-right: 1rem; } .muted { color: #777; } .deleted { color: #a00; }
  form.inline { display: inline; } button { cursor: pointer; }
  .box { border: 1px solid #ccd; padding: 1rem; border-radius: 6px; max-width: 34rem; }
  label { display: block; margin: .6rem 0 .2rem; }
</style>
"""

CONSENT_PAGE = (
    """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Connect to QuickBooks (emulator)</title>"""
    + BASE_STYLE
    + """</head><body>
<h1>Connect {{ client_id }} to QuickBooks Online (emulator)</h1>
<div class="box">
<form method="post" action="/connect/oauth2">
  {% for key, value in hidden.items() %}<input type="hidden" name="{{ key }}" value="{{ value }}">{% endfor %}
  <label for="realm_id">Company</label>
  <select id="realm_id" name="realm_id">
    {% for c in companies %}<option value="{{ c['realm_id'] }}">{{ c['name'] }} ({{ c['realm_id'] }})</option>{% endfor %}
  </select>
  <label for="new_company_name">or create a sandbox company</label>
  <input id="new_company_name" name="new_company_name" type="text" placeholder="New company name">
  <p>
    <button type="submit" name="action" value="connect">Connect</button>
    <button type="submit" name="action" value="cancel">Cancel</button>
  </p>
</form>
</div>
</body></html>"""
)

ERROR_PAGE = (
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title>"""
    + BASE_STYLE
    + """</head><body><h1>Authorization error</h1><p>{{ message }}</p></body></html>"""
)

LAYOUT = (
    """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ title }} · QBO emulator</title>"""
    + BASE_STYLE
    + """</head><body>
<nav><a href="{{ url_for('qbo_pages.index') }}">All companies</a>
{% if realm %}
<a href="{{ url_for('qbo_pages.customers', realm=realm) }}">Customers</a>
<a href="{{ url_for('qbo_pages.invoices', realm=realm) }}">Invoices</a>
<a href="{{ url_for('qbo_pages.payments', realm=realm) }}">Payments</a>
<a href="{{ url_for('qbo_pages.refunds', realm=realm) }}">Refund receipts</a>
<a href="{{ url_for('qbo_pages.accounts', realm=realm) }}">Chart of accounts</a>
{% endif %}</nav>
<h1>{{ title }}</h1>
{% if error %}<p class="deleted" role="alert">{{ error }}</p>{% endif %}
{{ body|safe }}
</body></html>"""
)

INDEX = """
<table><thead><tr><th>Company</th><th>Realm ID</th></tr></thead><tbody>
{% for c in companies %}<tr><td><a href="{{ url_for('qbo_pages.invoices', realm=c['realm_id']) }}">{{ c['name'] }}</a></td>
<td>{{ c['realm_id'] }}</td></tr>{% endfor %}
</tbody></table>
<h2>Create a sandbox company</h2>
<form method="post" action="{{ url_for('qbo_pages.create_company') }}">
<label for="name">Company name</label><input id="name" name="name" required> <button type="submit">Create</button>
</form>
"""

CUSTOMERS = """
<table><thead><tr><th>Id</th><th>Display name</th><th>Email</th><th>Active</th><th class="num">Balance</th></tr></thead>
<tbody>{% for c in rows %}<tr><td>{{ c.Id }}</td><td>{{ c.DisplayName }}</td>
<td>{{ (c.PrimaryEmailAddr or {}).Address }}</td><td>{{ 'yes' if c.Active else 'no' }}</td>
<td class="num">{{ '%.2f'|format(c.Balance) }}</td></tr>
{% else %}<tr><td colspan="5" class="muted">No customers yet.</td></tr>{% endfor %}</tbody></table>
"""

INVOICES = """
<table><thead><tr><th>Id</th><th>No.</th><th>Customer</th><th>Date</th><th class="num">Total</th>
<th class="num">Balance</th><th>Linked payments</th><th>Receive payment</th></tr></thead>
<tbody>{% for inv in rows %}<tr id="invoice-{{ inv.Id }}"><td>{{ inv.Id }}</td><td>{{ inv.DocNumber }}</td>
<td>{{ inv.CustomerRef.name }}</td><td>{{ inv.TxnDate }}</td>
<td class="num">{{ '%.2f'|format(inv.TotalAmt) }}</td><td class="num">{{ '%.2f'|format(inv.Balance) }}</td>
<td>{% for l in inv.LinkedTxn %}<a href="{{ url_for('qbo_pages.payments', realm=realm) }}#payment-{{ l.TxnId }}">Payment {{ l.TxnId }}</a> {% else %}<span class="muted">none</span>{% endfor %}
{% if inv.PrivateNote and inv.PrivateNote.startswith('Voided') %}<span class="deleted">Voided</span>{% endif %}</td>
<td>{% if inv.Balance > 0 %}
<form method="post" action="{{ url_for('qbo_pages.receive_payment', realm=realm, invoice_id=inv.Id) }}">
<label for="amount-{{ inv.Id }}">Amount</label>
<input id="amount-{{ inv.Id }}" name="amount" value="{{ '%.2f'|format(inv.Balance) }}" size="8">
<label for="deposit-{{ inv.Id }}">Deposit to</label>
<select id="deposit-{{ inv.Id }}" name="deposit_account">{% for a in deposit_accounts %}
<option value="{{ a.Id }}">{{ a.Name }}</option>{% endfor %}</select>
<label for="ref-{{ inv.Id }}">Reference no.</label><input id="ref-{{ inv.Id }}" name="ref" size="10">
<button type="submit">Receive payment</button></form>{% else %}<span class="muted">paid</span>{% endif %}</td></tr>
{% else %}<tr><td colspan="8" class="muted">No invoices yet.</td></tr>{% endfor %}</tbody></table>
"""

PAYMENTS = """
<table><thead><tr><th>Id</th><th>Customer</th><th>Date</th><th class="num">Amount</th><th class="num">Unapplied</th>
<th>Deposit account</th><th>Linked invoices</th><th>Ref / note</th><th>Actions</th></tr></thead>
<tbody>{% for p in rows %}<tr id="payment-{{ p.Id }}"><td>{{ p.Id }}</td><td>{{ p.CustomerRef.name }}</td>
<td>{{ p.TxnDate }}</td><td class="num">{{ '%.2f'|format(p.TotalAmt) }}</td>
<td class="num">{{ '%.2f'|format(p.UnappliedAmt or 0) }}</td><td>{{ p.DepositToAccountRef.name }}</td>
<td>{% for line in p.Line %}{% for l in line.LinkedTxn %}Invoice {{ l.TxnId }} ({{ '%.2f'|format(line.Amount) }}) {% endfor %}{% else %}<span class="muted">none</span>{% endfor %}</td>
<td>{{ p.PaymentRefNum or '' }} {{ p.PrivateNote or '' }}</td>
<td><form class="inline" method="post" action="{{ url_for('qbo_pages.payment_action', realm=realm, payment_id=p.Id, action='void') }}"><button type="submit">Void</button></form>
<form class="inline" method="post" action="{{ url_for('qbo_pages.payment_action', realm=realm, payment_id=p.Id, action='delete') }}"><button type="submit">Delete</button></form></td></tr>
{% else %}<tr><td colspan="9" class="muted">No payments yet.</td></tr>{% endfor %}</tbody></table>
"""

REFUNDS = """
<table><thead><tr><th>Id</th><th>No.</th><th>Customer</th><th>Date</th><th class="num">Amount</th>
<th>Paid from</th><th>Actions</th></tr></thead>
<tbody>{% for r in rows %}<tr id="refund-{{ r.Id }}"><td>{{ r.Id }}</td><td>{{ r.DocNumber }}</td>
<td>{{ (r.CustomerRef or {}).name }}</td><td>{{ r.TxnDate }}</td><td class="num">{{ '%.2f'|format(r.TotalAmt) }}</td>
<td>{{ r.DepositToAccountRef.name }}</td>
<td><form class="inline" method="post" action="{{ url_for('qbo_pages.refund_delete', realm=realm, refund_id=r.Id) }}"><button type="submit">Delete</button></form></td></tr>
{% else %}<tr><td colspan="7" class="muted">No refund receipts yet.</td></tr>{% endfor %}</tbody></table>
"""

ACCOUNTS = """
<table><thead><tr><th>Id</th><th>Name</th><th>Type</th><th>Detail type</th><th class="num">Balance</th></tr></thead>
<tbody>{% for a in rows %}<tr><td>{{ a.Id }}</td><td>{{ a.Name }}</td><td>{{ a.AccountType }}</td>
<td>{{ a.AccountSubType }}</td><td class="num">{{ '%.2f'|format(a.CurrentBalance) }}</td></tr>{% endfor %}</tbody></table>
"""
