-- A tenant's default currency (ISO 4217): what a credit amount written without a currency takes
-- when its client has none stored. Tenants that existed before get EUR.

ALTER TABLE tenants ADD COLUMN default_currency TEXT NOT NULL DEFAULT 'EUR';
