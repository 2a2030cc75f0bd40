"""Inline Jinja templates for the detail pages: one invoice, one payment, one customer."""

INVOICE_DETAIL = """
{% set voided = inv.PrivateNote and inv.PrivateNote.startswith('Voided') %}
<div class="card">
<p><strong>{{ inv.CustomerRef.name }}</strong> · dated {{ inv.TxnDate }} · due {{ inv.DueDate }}
 · <span class="muted">Id {{ inv.Id }}, SyncToken {{ inv.SyncToken }}</span></p>
<table><thead><tr><th>Description</th><th class="num">Amount</th></tr></thead><tbody>
{% for line in inv.Line if line.DetailType == 'SalesItemLineDetail' %}
<tr><td>{{ line.Description or (line.SalesItemLineDetail.ItemRef or {}).name or 'Line ' ~ line.LineNum }}</td>
<td class="num">{{ '%.2f'|format(line.Amount) }}</td></tr>{% endfor %}
<tr><td><strong>Total</strong></td><td class="num"><strong>{{ '%.2f'|format(inv.TotalAmt) }}</strong></td></tr>
<tr><td><strong>Balance due</strong></td><td class="num" id="invoice-balance"><strong>{{ '%.2f'|format(inv.Balance) }}</strong></td></tr>
</tbody></table>
{% if voided %}<p><span class="badge voided">Voided</span></p>{% endif %}
</div>

<h2>Payments applied</h2>
<table><thead><tr><th>Payment</th><th>Date</th><th class="num">Amount</th><th>Ref no.</th></tr></thead><tbody>
{% for p in payments %}<tr><td><a href="{{ url_for('qbo_pages.payment_detail', realm=realm, payment_id=p.Id) }}">Payment {{ p.Id }}</a></td>
<td class="nowrap">{{ p.TxnDate }}</td><td class="num">{{ '%.2f'|format(p.TotalAmt) }}</td><td>{{ p.PaymentRefNum or '' }}</td></tr>
{% else %}<tr><td colspan="4" class="muted">No payments yet.</td></tr>{% endfor %}
</tbody></table>

{% if inv.Balance > 0 %}
<h2>Receive payment</h2>
<form class="card" method="post" action="{{ url_for('qbo_pages.receive_payment', realm=realm, invoice_id=inv.Id) }}">
<input type="hidden" name="back" value="detail">
<label for="amount">Amount received</label>
<input id="amount" name="amount" value="{{ '%.2f'|format(inv.Balance) }}" inputmode="decimal" size="10">
<label for="txn_date">Payment date</label>
<input id="txn_date" name="txn_date" type="date" placeholder="YYYY-MM-DD">
<label for="deposit_account">Deposit to</label>
<select id="deposit_account" name="deposit_account">{% for a in deposit_accounts %}
<option value="{{ a.Id }}">{{ a.Name }}</option>{% endfor %}</select>
<label for="ref">Reference no.</label>
<input id="ref" name="ref" size="12">
<p><button class="primary" type="submit">Receive payment</button></p>
</form>
{% endif %}
"""

PAYMENT_DETAIL = """
{% set voided = p.PrivateNote and p.PrivateNote.startswith('Voided') %}
<div class="card">
<p><strong>{{ p.CustomerRef.name }}</strong> · {{ p.TxnDate }} · {{ '%.2f'|format(p.TotalAmt) }}
 into {{ p.DepositToAccountRef.name }} · <span class="muted">Id {{ p.Id }}, SyncToken {{ p.SyncToken }}</span>
 {% if voided %}<span class="badge voided">Voided</span>{% endif %}</p>
<p>Applied: {% for line in p.Line %}{% for l in line.LinkedTxn %}<a href="{{ url_for('qbo_pages.invoice_detail', realm=realm, invoice_id=l.TxnId) }}">Invoice {{ l.TxnId }}</a>
 ({{ '%.2f'|format(line.Amount) }}) {% endfor %}{% else %}<span class="muted">nothing</span>{% endfor %}
 · Unapplied {{ '%.2f'|format(p.UnappliedAmt or 0) }}</p>
</div>
{% if not voided %}
<h2>Edit payment</h2>
<form class="card" method="post" action="{{ url_for('qbo_pages.payment_edit', realm=realm, payment_id=p.Id) }}">
<label for="amount">Amount</label>
<input id="amount" name="amount" value="{{ '%.2f'|format(p.TotalAmt) }}" inputmode="decimal" size="10">
<label for="txn_date">Payment date</label>
<input id="txn_date" name="txn_date" type="date" value="{{ p.TxnDate }}">
<p><button class="primary" type="submit">Save</button></p>
</form>
{% endif %}
<h2>More actions</h2>
<p>{% if not voided %}<form class="inline" method="post" action="{{ url_for('qbo_pages.payment_action', realm=realm, payment_id=p.Id, action='void') }}">
<input type="hidden" name="back" value="detail"><button type="submit">Void</button></form>
{% endif %}<form class="inline" method="post" action="{{ url_for('qbo_pages.payment_action', realm=realm, payment_id=p.Id, action='delete') }}">
<input type="hidden" name="back" value="detail"><button class="danger" type="submit">Delete</button></form></p>
"""

CUSTOMER_DETAIL = """
<div class="card">
<p>{% if c.Active %}<span class="badge">Active</span>{% else %}<span class="badge voided">Inactive</span>{% endif %}
 · Balance {{ '%.2f'|format(c.Balance) }} · <span class="muted">Id {{ c.Id }}, SyncToken {{ c.SyncToken }}</span></p>
</div>
<h2>Rename</h2>
<form class="row card" method="post" action="{{ url_for('qbo_pages.customer_action', realm=realm, customer_id=c.Id, action='rename') }}">
<label for="display_name" class="sr-only">Display name</label>
<input id="display_name" name="display_name" value="{{ c.DisplayName }}" size="40">
<button class="primary" type="submit">Rename</button>
</form>
<h2>Status</h2>
<form class="row card" method="post" action="{{ url_for('qbo_pages.customer_action', realm=realm, customer_id=c.Id, action='active') }}">
{% if c.Active %}<input type="hidden" name="active" value="0"><button type="submit">Make inactive</button>
{% else %}<input type="hidden" name="active" value="1"><button type="submit">Make active</button>{% endif %}
</form>
<h2>Merge</h2>
<form class="row card" method="post" action="{{ url_for('qbo_pages.customer_action', realm=realm, customer_id=c.Id, action='merge') }}">
<label for="into">Merge {{ c.DisplayName }} into</label>
<select id="into" name="into">{% for o in others %}<option value="{{ o.Id }}">{{ o.DisplayName }}</option>{% endfor %}</select>
<button class="danger" type="submit">Merge</button>
</form>
<p class="muted">Merging moves this customer's invoices, payments and refunds to the other customer and removes this one.</p>
"""
