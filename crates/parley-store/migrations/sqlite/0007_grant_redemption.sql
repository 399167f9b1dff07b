-- An authorization code is no longer deleted when redeemed: it keeps the hash
-- of the token it gave, so a replay of the code can revoke that token
-- (RFC 6749 §4.1.2), and a failed redemption (wrong verifier or redirect
-- URI) leaves it for the rightful client. Redeemed and expired codes are
-- pruned a day after they expire.
ALTER TABLE oauth_grants ADD COLUMN token_hash TEXT;
CREATE INDEX oauth_grants_expiry ON oauth_grants (expires_at);
