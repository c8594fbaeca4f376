-- The first release's compatibility calls, kept while its revisions could still be serving:
-- issue_refresh_token (now start_session), rotate_refresh_token (now refresh_session) and the
-- three-argument create_invite (now with the invite's email). A database built from 0001
-- never had them.
DROP FUNCTION IF EXISTS parkshare.issue_refresh_token(uuid, text, uuid, timestamptz);
DROP FUNCTION IF EXISTS parkshare.rotate_refresh_token(text, text, timestamptz);
DROP FUNCTION IF EXISTS parkshare.create_invite(text, text, timestamptz);
