"""Texts of the inspector area (keys read as `inspector.<key>`)."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
    # the text box (the example keeps its markup: it shows that the coloured text is escaped)
    "example": Text(
        "Mirror, mirror on the wall, who is the fairest of them all? "
        "The mirror answered: <script>alert('boo')</script> is not a name.",
        "Свет мой, зеркальце! Скажи да всю правду доложи: я ль на свете всех милее? "
        "Зеркальце ответило: <script>alert('boo')</script> — это не имя."),
    "text": Text("Text to inspect", "Текст для разбора"),
    "text.help": Text("Paste any text, or open a chat reply here with its 🔍 button.",
                      "Вставьте любой текст или откройте здесь ответ из чата кнопкой 🔍 под ним."),
    "inspect": Text("🔍 Inspect", "🔍 Разобрать"),
    "notice.empty": Text("Paste or type a text first: there is nothing to inspect yet.",
                         "Сначала вставьте или напечатайте текст: пока разбирать нечего."),
    "notice.too_long": Text(
        "The text has {chars} characters; the inspector takes up to {limit}. Shorten it (it is kept in the box).",
        "В тексте {chars} символов, а инспектор принимает не больше {limit}. Сократите его (он остаётся в поле)."),
    "notice.foreign_tokens": Text(
        "The link's tokens do not belong to this model's vocabulary, so the text is scored on its own.",
        "Токены из ссылки не входят в словарь этой модели, поэтому текст разобран сам по себе."),
    "intro": Text(
        "Every token is scored by the model in one forward pass: its probability, its rank among all "
        "{vocabulary} tokens, the model's uncertainty (entropy) and its surprise.",
        "Модель оценивает каждый токен за один прямой проход: его вероятность, его ранг среди всех токенов "
        "словаря (их {vocabulary}), неуверенность модели (энтропию) и неожиданность токена."),
    "no_tokens": Text("This text has no tokens to score.", "В этом тексте нет токенов, которые можно оценить."),
    # where the text came from
    "origin.chat": Text(
        "Inspecting a Chat reply written by {model}{seed}; the sampler's own probabilities are shown beside the "
        "model's.",
        "Разбираем ответ из чата, который написала модель {model}{seed}; рядом с вероятностями модели показаны "
        "вероятности самого сэмплера."),
    "origin.explorer": Text(
        "Inspecting the Parameter Explorer written by {model}{seed}; the sampler's own probabilities are shown "
        "beside the model's.",
        "Разбираем текст из исследователя параметров, который написала модель {model}{seed}; рядом с вероятностями "
        "модели показаны вероятности самого сэмплера."),
    "origin.fork": Text(
        "Inspecting a fork written by {model}{seed}; the sampler's own probabilities are shown beside the model's.",
        "Разбираем развилку, которую дописала модель {model}{seed}; рядом с вероятностями модели показаны "
        "вероятности самого сэмплера."),
    "origin.seed": Text(" · seed {seed}", " · зерно {seed}"),
    # scoring
    "scoring": Text("Scoring every token…", "Оцениваем каждый токен…"),
    "windowed": Text(
        "The text is longer than the model's {context} context window: it was scored with a sliding window in "
        "{passes}, so every token still sees at least {half} before it.",
        "Текст длиннее контекстного окна модели ({context}): его оценили скользящим окном за {passes}, так что "
        "каждый токен по-прежнему видит перед собой как минимум {half}."),
    "tokens": Text("{count} token|{count} tokens", "{count} токен|{count} токена|{count} токенов"),
    "passes": Text("{count} pass|{count} passes", "{count} проход|{count} прохода|{count} проходов"),
    "one_token": Text(
        "Only one token: the model has no start-of-text token to predict it from, so there is nothing to score.",
        "Здесь всего один токен, а начального токена документа, от которого модель могла бы его предсказать, у неё "
        "нет, поэтому оценивать нечего."),
    # the summary
    "summary.tokens": Text("Tokens", "Число токенов"),
    "summary.perplexity": Text("Perplexity", "Перплексия"),
    "summary.perplexity.help": Text("exp of the mean negative log-likelihood",
                                    "экспонента среднего отрицательного логарифма правдоподобия"),
    "summary.mean_surprisal": Text("Mean surprisal", "Средняя неожиданность"),
    "summary.top10": Text("In the top 10", "В топ-10"),
    "bits": Text("{value} bits", "{value} бит"),
    # the coloured text
    "colour_by": Text("Colour by", "Раскраска"),
    "colour_by.help": Text(
        "Rank bucket: how highly the model ranked each token, also shown by its underline (solid, double, dotted, "
        "wavy). Probability: the model's probability of each token. Point at a token to read its figures.",
        "Группа рангов: насколько высоко модель поставила каждый токен; это видно и по подчёркиванию (сплошное, "
        "двойное, точками, волной). Вероятность: вероятность каждого токена по мнению модели. Наведите указатель на "
        "токен, чтобы увидеть его числа."),
    "mode.rank": Text("rank bucket (GLTR)", "по группе рангов (GLTR)"),
    "mode.prob": Text("probability", "по вероятности"),
    "table_view": Text("Show as a table", "Показать таблицей"),
    "table_view.help": Text(
        "The same figures as the coloured text, one row per token: its probability, rank, bucket and surprisal.",
        "Те же числа, что и в раскрашенном тексте, по строке на токен: вероятность, ранг, группа и неожиданность."),
    "bucket.0": Text("top 10", "топ-10"),
    "bucket.1": Text("top 100", "топ-100"),
    "bucket.2": Text("top 1000", "топ-1000"),
    "bucket.3": Text("rest", "остальные"),
    "token.title": Text("#{index} p={prob} rank {rank} · bucket: {bucket}",
                        "#{index} p={prob} · ранг {rank} · группа: {bucket}"),
    "token.aria": Text("“{token}”: rank {rank}, bucket {bucket}, probability {prob}",
                       "«{token}»: ранг {rank}, группа «{bucket}», вероятность {prob}"),
    "token.aria_prob": Text("“{token}”: probability {prob}", "«{token}»: вероятность {prob}"),
    "token.aria_unknown": Text("“{token}”: probability not reported", "«{token}»: вероятность неизвестна"),
    "legend.at_most": Text("p ≤ {p}", "p ≤ {p}"),
    "legend.equal": Text("p = {p}", "p = {p}"),
    # one token explained
    "why": Text("Why this token?", "Почему этот токен?"),
    "choose_token": Text("Choose a token to explain", "Выберите токен, который нужно объяснить"),
    "metric.prob_model": Text("Probability (model)", "Вероятность (модель)"),
    "metric.prob_model.help": Text("softmax of the raw logits at this position",
                                   "софтмакс исходных логитов в этой позиции"),
    "metric.rank": Text("Rank", "Ранг"),
    "metric.rank.help": Text("bucket: {bucket}", "группа: {bucket}"),
    "metric.entropy": Text("Entropy", "Энтропия"),
    "metric.entropy.help": Text("how unsure the model was about this position",
                                "насколько модель была не уверена в этой позиции"),
    "metric.surprisal": Text("Surprisal", "Неожиданность"),
    "metric.surprisal.help": Text("-log2 of the probability", "−log2 от вероятности"),
    "metric.prob_sampler": Text("Probability (sampler)", "Вероятность (сэмплер)"),
    "metric.prob_sampler.help": Text(
        "under the final distribution the sampler drew from (after penalties, temperature, top-k, top-p)",
        "в итоговом распределении, из которого выбирал сэмплер (после штрафов, температуры, top-k и top-p)"),
    "chart.probability_raw": Text("probability (raw model)", "вероятность по исходной модели"),
    "inside.button": Text("🔬 Look inside at this token", "🔬 Заглянуть внутрь на этом токене"),
    "inside.help": Text("What each layer predicted here, where each head looked, and which words mattered",
                        "Что здесь предсказывал каждый слой, куда смотрела каждая голова внимания и какие слова были "
                        "важны"),
    "inside.label": Text("token #{index} of the inspected text", "токен №{index} разобранного текста"),
    "fork.heading": Text("**Fork:** what if the model had picked another token here?",
                         "**Развилка:** а что, если бы модель выбрала здесь другой токен?"),
    "fork.alternative": Text("Alternative", "Другой вариант"),
    "fork.button": Text("🔀 Continue from here with this token", "🔀 Продолжить отсюда с этим токеном"),
    "fork.continues": Text("The mirror continues from your choice:", "Зеркало продолжает с выбранного вами токена:"),
    # summaries and tables
    "summary": Text("Summary", "Сводка"),
    "chart.rank_bucket": Text("rank bucket", "группа рангов"),
    "chart.share": Text("share of tokens", "доля токенов"),
    "chart.share_tip": Text("share", "доля"),
    "chart.text": Text("text", "текст"),
    "chart.position": Text("token position", "позиция токена"),
    "chart.surprisal": Text("surprisal (bits)", "неожиданность (бит)"),
    "least_confident": Text("**Least confident tokens**", "**Токены, в которых модель уверена меньше всего**"),
    "every_token": Text("Every token (table)", "Все токены (таблица)"),
    "download": Text("⬇️ Per-token table (CSV)", "⬇️ Таблица по токенам (CSV)"),
    "col.index": Text("position", "позиция"),
    "col.position": Text("position", "позиция"),
    "col.token": Text("token", "токен"),
    "col.token_id": Text("token id", "номер токена"),
    "col.probability": Text("probability", "вероятность"),
    "col.log_probability": Text("log probability", "логарифм вероятности"),
    "col.rank": Text("rank", "ранг"),
    "col.bucket": Text("bucket", "группа"),
    "col.entropy_bits": Text("entropy (bits)", "энтропия (бит)"),
    "col.surprisal_bits": Text("surprisal (bits)", "неожиданность (бит)"),
    "col.top_alternative": Text("model expected", "ожидала модель"),
    "col.top_alternative_probability": Text("its probability", "его вероятность"),
    "col.sampler_probability": Text("probability (sampler)", "вероятность (сэмплер)"),
    "col.model_expected": Text("model expected", "ожидала модель"),
    # comparing two texts
    "compare.expander": Text("⚖️ Compare with another text (e.g. a human paragraph and a generated one)",
                             "⚖️ Сравнить с другим текстом (например, абзац, написанный человеком, и сгенерированный)"),
    "compare.second": Text("Second text", "Второй текст"),
    "compare.button": Text("Compare", "Сравнить"),
    "compare.empty": Text("Type or paste a second text to compare with.",
                          "Напечатайте или вставьте второй текст для сравнения."),
    "compare.this_heading": Text("**This text**", "**Этот текст**"),
    "compare.second_heading": Text("**Second text**", "**Второй текст**"),
    "compare.this_series": Text("this text", "этот текст"),
    "compare.second_series": Text("second text", "второй текст"),
    "token_part": Text("(part of “{char}”)", "(часть символа «{char}»)"),
}
