-- A file uploaded to the import page, kept between its dry run and the officer's confirmation:
-- the confirmation form carries only the upload's id, so what is imported is the very file that
-- was checked, read again from here, and only by the account that uploaded it. An upload is
-- good for an hour; older ones are deleted when the next file of the province is kept.

CREATE TABLE chitieu.import_upload (
    province_id bigint NOT NULL REFERENCES chitieu.province (province_id) ON DELETE CASCADE,
    upload_id   uuid NOT NULL DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('results', 'targets')),
    phase       text,
    filename    text NOT NULL DEFAULT '',
    digest      bytea NOT NULL,
    bytes       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (province_id, upload_id),
    FOREIGN KEY (province_id, account_id) REFERENCES chitieu.account (province_id, account_id) ON DELETE CASCADE
);
CREATE INDEX import_upload_created ON chitieu.import_upload (province_id, created_at);
COMMENT ON TABLE chitieu.import_upload IS
    'Files uploaded to the import page, kept from the dry run to the confirmation (an hour at most), read back only by the account that uploaded them.';
COMMENT ON COLUMN chitieu.import_upload.digest IS 'SHA-256 of bytes, shown to the officer and checked when the file is read back.';

SELECT chitieu.secure_tenant_table('import_upload');
-- Uploaded files are working copies, not data to report on: reporting logins do not read them.
REVOKE ALL ON chitieu.import_upload FROM chitieu_reporting;
