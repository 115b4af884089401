"""A reply's stored steps read by name: the stored format (exports included) stays as it always was."""

from mirror.services.conversation import Conversation, ReplyInfo
from mirror.ui.steps import ReplyStep, StepAlternative, read_steps

LOCAL = {"token_id": 5, "token": " hi", "text": " hi", "prob": 0.5, "raw_prob": 0.4, "rank": 2, "entropy": 1.5,
         "alternatives": [[7, " yo", 0.3, 0.35], [5, " hi", 0.5, 0.4]]}
REMOTE = {"token_id": None, "token": "x", "text": "x", "prob": None, "raw_prob": 0.6, "rank": None,
          "entropy": None, "alternatives": [[None, "y", None, 0.2]]}


def test_a_stored_step_reads_by_name_and_writes_back_unchanged():
    step = ReplyStep.from_stored(LOCAL)
    assert (step.token_id, step.prob, step.raw_prob, step.rank) == (5, 0.5, 0.4, 2)
    assert step.alternatives[0] == StepAlternative(token_id=7, token=" yo", prob=0.3, raw_prob=0.35)
    for stored in (LOCAL, REMOTE):
        assert ReplyStep.from_stored(stored).to_stored() == stored


def test_an_exported_conversation_still_imports_and_reads():
    conv = Conversation()
    conv.add_user("hi")
    conv.add_reply(ReplyInfo(model="m", params={}, seed=1, steps=[LOCAL, REMOTE]))
    restored = Conversation.from_json(conv.to_json("m"))
    steps = read_steps(restored.turns[1].reply.steps)
    assert [s.token for s in steps] == [" hi", "x"] and steps[1].alternatives[0].raw_prob == 0.2
