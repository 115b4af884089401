"""A class and its game "Guess the next word": codes, members, rounds, votes and the reveal.

The teacher opens a class (a 4-letter code); students join with the code and a name. In a round the
class guesses the word the mirror will write next; the reveal sets the class's guesses beside the
model's own probabilities. Everything lives in the database (`Store.classes`), so it works across
replicas. Probabilities are the raw model's (no sampler): what the model expects, not what one draw
gave. A word's probability is that of all its tokens in a row after the prompt (a word the
tokenizer splits is merged back), written with a leading space unless the prompt ends in one.
"""

from __future__ import annotations

import json
import math
import re
import secrets
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

import torch

from mirror.engine.generation import Generation
from mirror.engine.sampling import SamplingParams
from mirror.i18n import fmt_int, t, tn
from mirror.models import LoadedModel
from mirror.services import explorer
from mirror.services.scoring import score_ids
from mirror.services.store import Store
from mirror.services.store.classes import GUESS_GAME, RoundRow
from mirror.text import visible_whitespace

CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: they read as 1 and 0 on a projector
CODE_LENGTH = 4
CLASS_HOURS = 12  # a code older than this is expired
MAX_NAME_CHARS = 40
MAX_GUESS_CHARS = 40
NAME_FORBIDDEN = frozenset("<>")  # a name is shown to the whole class: no markup
MAX_PROMPT_CHARS = 2000
MODEL_WORDS = 10  # the model's top tokens shown beside the class's guesses
PIECE_TOKENS = 4  # a character is at most 4 UTF-8 bytes, and a byte-level token holds at least one
# The example prompts the projector offers: their catalog keys (classroom.example.<key>) and English texts,
# which stay the options' values; the round starts with the text in the teacher's language.
EXAMPLE_KEYS = ("capital", "once_upon", "animal", "opposite", "two_plus_two")
EXAMPLE_PROMPTS = tuple(t(f"classroom.example.{key}", language="en") for key in EXAMPLE_KEYS)


def example_prompt(english: str) -> str:
    """An example prompt (given by its English text) in the current language."""
    return t(f"classroom.example.{EXAMPLE_KEYS[EXAMPLE_PROMPTS.index(english)]}")


class ClassError(ValueError):
    """Something a student or teacher did that the class refuses; the message says what to do, in the run's
    language."""


def _stamp(hours_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(hours=hours_ago)).isoformat(timespec="microseconds")


def normal_code(code: str | None) -> str:
    return re.sub(r"\s+", "", code or "").upper()


def open_class(store: Store, teacher: str) -> str:
    """A new class with a fresh code; returns the code."""
    for _ in range(50):
        code = "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))
        if store.classes.add_class(code, teacher):
            return code
    raise ClassError(t("classroom.error.no_free_code"))


def check_class(store: Store, code: str | None) -> str:
    """The class's code when it exists and has not expired; ClassError otherwise."""
    wanted = normal_code(code)
    if not wanted:
        raise ClassError(t("classroom.error.no_code"))
    found = store.classes.get_class(wanted)
    if found is None:
        raise ClassError(t("classroom.error.unknown_code", code=wanted))
    if found.created_at < _stamp(CLASS_HOURS):
        raise ClassError(tn("classroom.error.ended", CLASS_HOURS, code=wanted))
    return wanted


def my_class(store: Store, person: str) -> tuple[str, str] | None:
    """(code, name) of the class this person joined last, while it lasts (a reload finds it again)."""
    return store.classes.latest_membership(person, _stamp(CLASS_HOURS))


def my_open_class(store: Store, teacher: str) -> str | None:
    """The code of the class this teacher opened last, while it lasts."""
    return store.classes.latest_opened(teacher, _stamp(CLASS_HOURS))


def class_of(store: Store, person: str) -> str | None:
    """The code of the class the person is in now, if any (their saved work and feedback go with it)."""
    joined = my_class(store, person)
    return joined[0] if joined else None


def join_class(store: Store, code: str | None, person: str, name: str | None) -> str:
    """Join (or rename yourself in) a class; returns its code."""
    wanted = check_class(store, code)
    shown = " ".join((name or "").split())
    if not shown:
        raise ClassError(t("classroom.error.no_name"))
    if len(shown) > MAX_NAME_CHARS:
        raise ClassError(tn("classroom.error.long_name", len(shown), most=fmt_int(MAX_NAME_CHARS)))
    if set(shown) & NAME_FORBIDDEN:  # markup in a name is refused, not shown (it would be shown escaped anyway)
        raise ClassError(t("classroom.error.markup_name", forbidden=" ".join(sorted(NAME_FORBIDDEN))))
    if store.classes.join(wanted, person, shown) == "name_taken":
        raise ClassError(t("classroom.error.name_taken", name=shown))
    return wanted


def start_round(store: Store, code: str, prompt: str) -> int:
    """A new round on a prompt the teacher typed (a newline left at its end is not part of it)."""
    return open_round(store, code, typed_prompt(prompt))


def typed_prompt(prompt: str | None) -> str:
    """A prompt as the teacher typed it, checked: a newline left at its end is not part of it."""
    text = (prompt or "").rstrip("\n")
    check_prompt(text)
    return text


def check_prompt(text: str) -> None:
    if not text.strip():
        raise ClassError(t("classroom.error.no_prompt"))
    if len(text) > MAX_PROMPT_CHARS:
        raise ClassError(tn("classroom.error.long_prompt", len(text), most=fmt_int(MAX_PROMPT_CHARS)))


def open_round(store: Store, code: str, text: str, game: str = GUESS_GAME, setup: str | None = None) -> int:
    """A new round of `game` on `text` exactly as given (checked, never trimmed)."""
    check_prompt(text)
    return store.classes.open_round(check_class(store, code), text, game, setup)


def cast_vote(store: Store, code: str, person: str, guess: str | None) -> None:
    """One guess per student per round; ClassError for an empty, too long, late or second guess."""
    word = " ".join((guess or "").split())
    if not word:
        raise ClassError(t("classroom.error.no_guess"))
    if len(word) > MAX_GUESS_CHARS:
        raise ClassError(tn("classroom.error.long_guess", len(word), most=fmt_int(MAX_GUESS_CHARS)))
    current = student_round(store, code, person)
    if current.game != GUESS_GAME:
        raise ClassError(t("classroom.error.other_game"))
    refuse_outcome(store.classes.vote(current.id, person, word))


def student_round(store: Store, code: str | None, person: str) -> RoundRow:
    """The round a member of the class answers now; ClassError when they are not a member or there is none."""
    wanted = check_class(store, code)
    if store.classes.member_name(wanted, person) is None:
        raise ClassError(t("classroom.error.not_member", code=wanted))
    current = store.classes.latest_round(wanted)
    if current is None:
        raise ClassError(t("classroom.error.no_round_student"))
    return current


def refuse_outcome(outcome: str) -> None:
    """ClassError for a ballot the database refused: a second one, or one after the reveal."""
    if outcome == "again":
        raise ClassError(t("classroom.error.guessed_already"))
    if outcome == "closed":
        raise ClassError(t("classroom.error.too_late"))


@dataclass(frozen=True)
class WordRow:
    word: str
    votes: int
    class_share: float  # of the class's guesses
    model_prob: float  # the raw model's probability of writing this word next


@dataclass(frozen=True)
class RoundResult:
    prompt: str
    voters: int
    words: tuple[WordRow, ...]  # the class's guesses and the model's top words, most likely (model) first
    top_word: str  # the model's most likely next token, as a word
    top_prob: float
    top_guessers: tuple[str, ...]  # names of those who guessed it
    class_score: float  # the mean model probability of the class's guesses (nan without guesses)
    favourite: str | None  # the class's most common guess
    favourite_is_top: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "RoundResult":
        data = json.loads(text)
        data["words"] = tuple(WordRow(**w) for w in data["words"])
        data["top_guessers"] = tuple(data["top_guessers"])
        return cls(**data)


def _key(word: str) -> str:
    return word.strip().lower()


def word_probability(lm: LoadedModel, prompt_ids: list[int], prompt: str, word: str) -> float:
    """The raw model's probability of writing `word` next: all its tokens in a row after the prompt."""
    spelled = word if prompt.endswith((" ", "\n")) else " " + word
    ids = lm.encode(spelled)
    scored = score_ids(lm, ids, top=1, context=prompt_ids)
    return math.exp(sum(t.logprob for t in scored.tokens))


def compute_result(lm: LoadedModel, prompt: str, votes: list[tuple[str, str]], names: dict[str, str]) -> RoundResult:
    prompt_ids = lm.encode(prompt)
    probs = torch.softmax(explorer.next_token_logits(lm, prompt_ids), dim=-1)
    top = torch.topk(probs, MODEL_WORDS)
    tokens = lm.token_strings(top.indices.tolist())
    top_word = tokens[0].strip() or visible_whitespace(tokens[0])
    spelling: dict[str, str] = {}
    for token in tokens:
        if token.strip():
            spelling.setdefault(_key(token), token.strip())
    counts = Counter(_key(guess) for _, guess in votes)
    for _, guess in votes:
        spelling.setdefault(_key(guess), guess)
    model_prob = {key: word_probability(lm, prompt_ids, prompt, shown) for key, shown in spelling.items()}
    rows = sorted((WordRow(spelling[k], counts.get(k, 0), counts.get(k, 0) / len(votes) if votes else 0.0,
                           model_prob[k]) for k in spelling), key=lambda r: (-r.model_prob, -r.votes, r.word))
    favourite = counts.most_common(1)[0][0] if votes else None
    guessed = [model_prob[_key(g)] for _, g in votes]
    return RoundResult(
        prompt=prompt, voters=len(votes), words=tuple(rows), top_word=top_word, top_prob=float(probs[top.indices[0]]),
        top_guessers=tuple(names.get(p, "?") for p, g in votes if _key(g) == _key(top_word)),
        class_score=sum(guessed) / len(guessed) if guessed else float("nan"),
        favourite=spelling[favourite] if favourite else None,
        favourite_is_top=favourite is not None and favourite == _key(top_word),
    )


def reveal(store: Store, lm: LoadedModel, code: str) -> RoundResult:
    """Close the current round and compute its result (a round revealed already keeps its result)."""
    current = current_round(store, code)
    if current.result is not None:
        return RoundResult.from_json(current.result)
    names = dict(store.classes.members(current.code))
    result = compute_result(lm, current.prompt, store.classes.votes(current.id), names)
    if not store.classes.close_round(current.id, result.to_json()):
        closed = current_round(store, code)  # revealed by another replica meanwhile: show that one
        if closed.result is not None:
            return RoundResult.from_json(closed.result)
    return result


def continue_text(store: Store, lm: LoadedModel, code: str, params: SamplingParams) -> tuple[str, int | None]:
    """The model writes its next token with the sampler's settings; a new round starts after it.

    Returns (the piece written, the new round's id), or (piece, None) when the model ended the text.
    """
    current = current_round(store, code)
    # One token may end in part of a character (SmolLM2 writes most Cyrillic letters in two): the model
    # goes on until its piece ends on a whole character, and stopping the stream then ends the request.
    generation = Generation(lm, lm.encode(current.prompt), params.replace(max_new_tokens=PIECE_TOKENS))
    for step in generation:
        if step.text and not step.unfinished_bytes:
            break
    result = generation.result()
    if not result.text:
        return "", None
    # Not start_round: what the model wrote stays whole, a newline at the end included.
    return result.text, open_round(store, code, current.prompt + result.text)


def current_round(store: Store, code: str) -> RoundRow:
    """The class's latest round; ClassError (for the teacher) when there is none."""
    current = store.classes.latest_round(check_class(store, code))
    if current is None:
        raise ClassError(t("classroom.error.no_round_teacher"))
    return current
