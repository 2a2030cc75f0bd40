"""Inline Jinja templates for the consent page and the company pages."""

# One small stylesheet for every emulator page: plain and readable, with QuickBooks' green for primary actions.
BASE_STYLE = """
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --green: #2ca01c; --green-dark: #108000; --ink: #393a3d; --muted: #6b6c72; --line: #dcdee3;
          --bg: #f4f5f8; --danger: #c9252d; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: var(--ink); background: var(--bg); }
  header.bar { background: #fff; border-bottom: 1px solid var(--line); padding: .7rem 1.5rem;
               display: flex; align-items: center; gap: .6rem; }
  .brand { font-weight: 700; color: var(--green-dark); letter-spacing: .01em; }
  .tag { font-size: .75rem; color: var(--muted); border: 1px solid var(--line); border-radius: 99px;
         padding: .05rem .5rem; }
  nav.tabs { background: #fff; border-bottom: 1px solid var(--line); padding: 0 1.5rem; display: flex;
             flex-wrap: wrap; gap: 1.4rem; }
  nav.tabs a { display: inline-block; padding: .65rem 0; color: var(--ink); text-decoration: none;
               border-bottom: 3px solid transparent; }
  nav.tabs a:hover, nav.tabs a[aria-current="page"] { border-bottom-color: var(--green); }
  main { max-width: 76rem; margin: 1.5rem auto; padding: 0 1.5rem; }
  h1 { font-size: 1.45rem; font-weight: 600; margin: 0 0 1rem; }
  h2 { font-size: 1.1rem; font-weight: 600; margin: 1.8rem 0 .6rem; }
  a { color: #0077c5; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 1.2rem 1.4rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line);
          border-radius: 8px; overflow: hidden; }
  th, td { text-align: left; padding: .55rem .75rem; border-bottom: 1px solid var(--line); vertical-align: middle; }
  th { font-size: .78rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
       background: #fafbfc; font-weight: 600; }
  tr:last-child td { border-bottom: 0; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  .nowrap { white-space: nowrap; }
  .muted { color: var(--muted); }
  .badge { display: inline-block; font-size: .75rem; font-weight: 600; border-radius: 99px; padding: .1rem .55rem;
           background: #eceef1; color: var(--ink); white-space: nowrap; }
  .badge.paid { background: #e3f4df; color: var(--green-dark); }
  .badge.voided, .deleted { color: var(--danger); }
  .badge.voided { background: #fbe9ea; }
  .alert { background: #fbe9ea; border: 1px solid #f1b8bb; color: #8a1c22; border-radius: 6px;
           padding: .6rem .9rem; margin: 0 0 1rem; }
  label { display: block; font-weight: 600; font-size: .85rem; margin: .9rem 0 .3rem; }
  input, select { font: inherit; color: inherit; padding: .4rem .55rem; border: 1px solid #babec5;
                  border-radius: 4px; background: #fff; }
  input:focus, select:focus, button:focus-visible { outline: 2px solid var(--green); outline-offset: 1px; }
  button { font: inherit; font-weight: 600; cursor: pointer; white-space: nowrap; border-radius: 4px; padding: .4rem .95rem;
           border: 1px solid #8d9096; background: #fff; color: var(--ink); }
  button:hover { background: #f4f5f8; }
  button.primary { background: var(--green); border-color: var(--green); color: #fff; }
  button.primary:hover { background: var(--green-dark); border-color: var(--green-dark); }
  button.small { padding: .2rem .6rem; font-size: .85rem; }
  button.danger { color: var(--danger); border-color: #e3a3a7; }
  form.inline { display: inline; margin: 0; }
  form.row { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem; margin: 0; }
  form.row input, form.row select { padding: .25rem .4rem; font-size: .9rem; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  .consent { max-width: 36rem; margin: 3rem auto; }
  .consent .card { padding: 1.6rem 1.8rem; }
  .consent h1 { font-size: 1.3rem; }
  .consent select, .consent input { width: 100%; }
  .consent .actions { display: flex; flex-direction: row-reverse; justify-content: flex-start; gap: .6rem; margin-top: 1.4rem; }
  .consent ul { margin: .3rem 0 0; padding-left: 1.2rem; }
</style>
"""

BRAND = """<header class="bar"><span class="brand">QuickBooks Online</span><span class="tag">local emulator</span></header>"""

CONSENT_PAGE = (
    """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Connect to QuickBooks (emulator)</title>"""
    + BASE_STYLE
    + """</head><body>"""
    + BRAND
    + """
<main class="consent"><div class="card">
<h1>Connect {{ client_id }} to QuickBooks Online (emulator)</h1>
<p class="muted">{{ client_id }} asks to read and write your company's accounting data
{%- if hidden.get('scope') %} ({{ hidden['scope'] }}){% endif %}.</p>
<form method="post" action="/connect/oauth2">
  {% for key, value in hidden.items() %}<input type="hidden" name="{{ key }}" value="{{ value }}">{% endfor %}
  <label for="realm_id">Company</label>
  <select id="realm_id" name="realm_id">
    {% for c in companies %}<option value="{{ c['realm_id'] }}">{{ c['name'] }} ({{ c['realm_id'] }})</option>{% endfor %}
  </select>
  <label for="new_company_name">or create a sandbox company</label>
  <input id="new_company_name" name="new_company_name" type="text" placeholder="New company name">
  <div class="actions">
    <button class="primary" type="submit" name="action" value="connect">Connect</button>
    <button type="submit" name="action" value="cancel">Cancel</button>
  </div>
</form>
</div></main>
</body></html>"""
)

ERROR_PAGE = (
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization error</title>"""
    + BASE_STYLE
    + """</head><body>"""
    + BRAND
    + """<main class="consent"><div class="card"><h1>Authorization error</h1>
<p class="alert" role="alert">{{ message }}</p></div></main></body></html>"""
)

LAYOUT = (
    """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ title }} · QBO emulator</title>"""
    + BASE_STYLE
    + """</head><body>"""
    + BRAND
    + """
<nav class="tabs"><a href="{{ url_for('qbo_pages.index') }}"
   {%- if request.endpoint == 'qbo_pages.index' %} aria-current="page"{% endif %}>All companies</a>
{% if realm %}{% for endpoint, label in [('customers', 'Customers'), ('vendors', 'Vendors'), ('invoices', 'Invoices'),
  ('payments', 'Payments'), ('refunds', 'Refund receipts'), ('accounts', 'Chart of accounts')] %}
<a href="{{ url_for('qbo_pages.' + endpoint, realm=realm) }}"
   {%- if request.endpoint == 'qbo_pages.' + endpoint %} aria-current="page"{% endif %}>{{ label }}</a>
{% endfor %}{% endif %}</nav>
<main>
<h1>{{ title }}</h1>
{% if error %}<p class="alert deleted" role="alert">{{ error }}</p>{% endif %}
{{ body|safe }}
</main>
</body></html>"""
)

INDEX = """
<table><thead><tr><th>Company</th><th>Realm ID</th></tr></thead><tbody>
{% for c in companies %}<tr><td><a href="{{ url_for('qbo_pages.invoices', realm=c['realm_id']) }}">{{ c['name'] }}</a></td>
<td class="nowrap">{{ c['realm_id'] }}</td></tr>{% endfor %}
</tbody></table>
<h2>Create a sandbox company</h2>
<form class="row card" method="post" action="{{ url_for('qbo_pages.create_company') }}">
<label for="name" class="sr-only">Company name</label>
<input id="name" name="name" required placeholder="Company name" size="30">
<button class="primary" type="submit">Create</button>
</form>
"""

CUSTOMERS = """
<table><thead><tr><th>Id</th><th>Display name</th><th>Email</th><th>Status</th><th class="num">Balance</th></tr></thead>
<tbody>{% for c in rows %}<tr id="customer-{{ c.Id }}"><td>{{ c.Id }}</td>
<td><a href="{{ url_for('qbo_pages.customer_detail', realm=realm, customer_id=c.Id) }}">{{ c.DisplayName }}</a></td>
<td>{{ (c.PrimaryEmailAddr or {}).Address }}</td>
<td>{% if c.Active %}<span class="badge">Active</span>{% else %}<span class="badge voided">Inactive</span>{% endif %}</td>
<td class="num">{{ '%.2f'|format(c.Balance) }}</td></tr>
{% else %}<tr><td colspan="5" class="muted">No customers yet.</td></tr>{% endfor %}</tbody></table>
"""

VENDORS = """
<table><thead><tr><th>Id</th><th>Display name</th><th>Status</th><th>Rename</th></tr></thead>
<tbody>{% for v in rows %}<tr id="vendor-{{ v.Id }}"><td>{{ v.Id }}</td><td>{{ v.DisplayName }}</td>
<td>{% if v.Active %}<span class="badge">Active</span>{% else %}<span class="badge voided">Inactive</span>{% endif %}</td>
<td><form class="row" method="post" action="{{ url_for('qbo_pages.vendor_rename', realm=realm, vendor_id=v.Id) }}">
<label class="sr-only" for="vendor-name-{{ v.Id }}">Display name</label>
<input id="vendor-name-{{ v.Id }}" name="display_name" value="{{ v.DisplayName }}" size="32">
<button class="small" type="submit">Rename</button></form></td></tr>
{% else %}<tr><td colspan="4" class="muted">No vendors yet.</td></tr>{% endfor %}</tbody></table>
<h2>Add a vendor</h2>
<form class="row card" method="post" action="{{ url_for('qbo_pages.vendor_create', realm=realm) }}">
<label for="new-vendor" class="sr-only">Display name</label>
<input id="new-vendor" name="display_name" required placeholder="Display name" size="32">
<button class="primary" type="submit">Add vendor</button>
</form>
"""

INVOICES = """
<table><thead><tr><th>Id</th><th>No.</th><th>Customer</th><th>Date</th><th class="num">Total</th>
<th class="num">Balance</th><th>Status</th><th>Linked payments</th><th>Receive payment</th></tr></thead>
<tbody>{% for inv in rows %}{% set voided = inv.PrivateNote and inv.PrivateNote.startswith('Voided') %}
<tr id="invoice-{{ inv.Id }}"><td>{{ inv.Id }}</td>
<td><a href="{{ url_for('qbo_pages.invoice_detail', realm=realm, invoice_id=inv.Id) }}">{{ inv.DocNumber }}</a></td>
<td>{{ inv.CustomerRef.name }}</td><td class="nowrap">{{ inv.TxnDate }}</td>
<td class="num">{{ '%.2f'|format(inv.TotalAmt) }}</td><td class="num">{{ '%.2f'|format(inv.Balance) }}</td>
<td>{% if voided %}<span class="badge voided">Voided</span>{% elif inv.Balance > 0 %}<span class="badge">Open</span>
{%- else %}<span class="badge paid">Paid</span>{% endif %}</td>
<td>{% for l in inv.LinkedTxn %}<a class="nowrap" href="{{ url_for('qbo_pages.payments', realm=realm) }}#payment-{{ l.TxnId }}">Payment {{ l.TxnId }}</a> {% else %}<span class="muted">none</span>{% endfor %}</td>
<td>{% if inv.Balance > 0 %}
<form class="row" method="post" action="{{ url_for('qbo_pages.receive_payment', realm=realm, invoice_id=inv.Id) }}">
<label class="sr-only" for="amount-{{ inv.Id }}">Amount</label>
<input id="amount-{{ inv.Id }}" name="amount" value="{{ '%.2f'|format(inv.Balance) }}" size="7" inputmode="decimal" title="Amount">
<label class="sr-only" for="deposit-{{ inv.Id }}">Deposit to</label>
<select id="deposit-{{ inv.Id }}" name="deposit_account" title="Deposit to">{% for a in deposit_accounts %}
<option value="{{ a.Id }}">{{ a.Name }}</option>{% endfor %}</select>
<label class="sr-only" for="ref-{{ inv.Id }}">Reference no.</label>
<input id="ref-{{ inv.Id }}" name="ref" size="6" placeholder="Ref no." title="Reference no.">
<button class="primary small" type="submit">Receive payment</button></form>{% else %}<span class="muted">nothing due</span>{% endif %}</td></tr>
{% else %}<tr><td colspan="9" class="muted">No invoices yet.</td></tr>{% endfor %}</tbody></table>
"""

PAYMENTS = """
<table><thead><tr><th>Id</th><th>Customer</th><th>Date</th><th class="num">Amount</th><th class="num">Unapplied</th>
<th>Deposit account</th><th>Linked invoices</th><th>Ref no.</th><th>Memo</th><th>Actions</th></tr></thead>
<tbody>{% for p in rows %}{% set voided = p.PrivateNote and p.PrivateNote.startswith('Voided') %}
<tr id="payment-{{ p.Id }}"><td><a href="{{ url_for('qbo_pages.payment_detail', realm=realm, payment_id=p.Id) }}">{{ p.Id }}</a></td><td>{{ p.CustomerRef.name }}</td>
<td class="nowrap">{{ p.TxnDate }}</td><td class="num">{{ '%.2f'|format(p.TotalAmt) }}</td>
<td class="num">{{ '%.2f'|format(p.UnappliedAmt or 0) }}</td><td>{{ p.DepositToAccountRef.name }}</td>
<td>{% for line in p.Line %}{% for l in line.LinkedTxn %}<a class="nowrap" href="{{ url_for('qbo_pages.invoices', realm=realm) }}#invoice-{{ l.TxnId }}">Invoice {{ l.TxnId }}</a> <span class="muted">({{ '%.2f'|format(line.Amount) }})</span> {% endfor %}{% else %}<span class="muted">none</span>{% endfor %}</td>
<td>{{ p.PaymentRefNum or '' }}</td>
<td>{% if voided %}<span class="badge voided">Voided</span> {% endif %}<span class="muted">{{ p.PrivateNote or '' }}</span></td>
<td class="nowrap">{% if not voided %}<form class="inline" method="post" action="{{ url_for('qbo_pages.payment_action', realm=realm, payment_id=p.Id, action='void') }}"><button class="small" type="submit">Void</button></form>
{% endif %}<form class="inline" method="post" action="{{ url_for('qbo_pages.payment_action', realm=realm, payment_id=p.Id, action='delete') }}"><button class="small danger" type="submit">Delete</button></form></td></tr>
{% else %}<tr><td colspan="10" class="muted">No payments yet.</td></tr>{% endfor %}</tbody></table>
"""

REFUNDS = """
<table><thead><tr><th>Id</th><th>No.</th><th>Customer</th><th>Date</th><th class="num">Amount</th>
<th>Paid from</th><th>Actions</th></tr></thead>
<tbody>{% for r in rows %}<tr id="refund-{{ r.Id }}"><td>{{ r.Id }}</td><td>{{ r.DocNumber }}</td>
<td>{{ (r.CustomerRef or {}).name }}</td><td class="nowrap">{{ r.TxnDate }}</td><td class="num">{{ '%.2f'|format(r.TotalAmt) }}</td>
<td>{{ r.DepositToAccountRef.name }}</td>
<td><form class="inline" method="post" action="{{ url_for('qbo_pages.refund_delete', realm=realm, refund_id=r.Id) }}"><button class="small danger" type="submit">Delete</button></form></td></tr>
{% else %}<tr><td colspan="7" class="muted">No refund receipts yet.</td></tr>{% endfor %}</tbody></table>
"""

ACCOUNTS = """
<table><thead><tr><th>Id</th><th>Name</th><th>Type</th><th>Detail type</th><th class="num">Balance</th></tr></thead>
<tbody>{% for a in rows %}<tr id="account-{{ a.Id }}"><td>{{ a.Id }}</td><td>{{ a.Name }}</td><td>{{ a.AccountType }}</td>
<td>{{ a.AccountSubType }}</td><td class="num">{{ '%.2f'|format(a.CurrentBalance) }}</td></tr>{% endfor %}</tbody></table>
"""
