-- The retention job removes a batch of a room's oldest messages with one DELETE; this trigger
-- does the rest once per statement: the batch's attachments go, and each room's purged_seq
-- moves on. (Message rows are deleted only by the retention job, a room's oldest first.)
CREATE FUNCTION messages_purged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM attachments WHERE message_id IN (SELECT id FROM purged);
    UPDATE rooms r SET purged_seq = p.up_to
        FROM (SELECT room_id, MAX(seq) AS up_to FROM purged GROUP BY room_id) p
        WHERE r.id = p.room_id AND r.purged_seq < p.up_to;
    RETURN NULL;
END
$$;

CREATE TRIGGER messages_purged AFTER DELETE ON messages
    REFERENCING OLD TABLE AS purged
    FOR EACH STATEMENT EXECUTE FUNCTION messages_purged();
