-- A customer's page in the dashboard lists their purchases and invoices.
CREATE INDEX purchases_customer ON purchases (customer_id, created_at);
CREATE INDEX invoices_customer ON invoices (customer_id, created_at);
