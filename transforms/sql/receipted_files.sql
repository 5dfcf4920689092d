-- Every submission's id, member and SHA-256: where its receipt is kept.
select submission_id, member_id, sha256
from submissions
