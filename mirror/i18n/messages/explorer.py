"""Texts of the explorer area (keys read as `explorer.<key>`): the Parameter Explorer page and its service."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
    # the tabs (the options of `st.tabs`; code compares the label of the current language)
    "tab.distribution": Text("📊 Next-token distribution", "📊 Распределение следующего токена"),
    "tab.temperature": Text("🌡️ Temperature curve", "🌡️ Кривая температуры"),
    "tab.side_by_side": Text("🆚 Side by side", "🆚 Бок о бок"),
    "tab.grid": Text("🧮 Grid run", "🧮 Прогон по сетке"),
    "tab.walk": Text("🎲 Be the sampler", "🎲 Стань сэмплером"),
    "tab.guide": Text("📖 Guide", "📖 Справка"),
    "intro": Text(
        "How temperature, top-k, top-p, repetition penalty and no-repeat n-gram reshape the mirror's "
        "next-token choice, on this model and your prompt. Move the sliders in the sidebar: the charts "
        "follow without asking the model again.",
        "Как температура, top-k, top-p, штраф за повторы и запрет повтора n-грамм меняют то, как зеркало выбирает "
        "следующий токен, — на этой модели и вашем запросе. Двигайте ползунки на боковой панели: графики "
        "обновляются, не обращаясь к модели заново."),
    "page_error": Text("Something in these settings does not work: {error}",
                       "С этими настройками что-то не так: {error}"),
    # counted words shared by several tabs
    "tokens": Text("{count} token|{count} tokens", "{count} токен|{count} токена|{count} токенов"),
    "off": Text("off", "выкл."),
    # the prompt box
    "example.label": Text("Example prompts", "Примеры запросов"),
    "example.help": Text("Pick one to put it in the prompt box; any text works.",
                         "Выберите пример, и он появится в поле запроса; подойдёт любой текст."),
    "example.once": Text("Once upon a time…", "Давным-давно…"),
    "example.once.text": Text("Once upon a time, in a small village by the sea, there lived a",
                              "Давным-давно в маленькой деревне у моря жил-был"),
    "example.capital": Text("The capital of France is", "Столица Франции —"),
    "example.capital.text": Text("The capital of France is", "Столица Франции —"),
    "example.mirror": Text("Mirror, mirror on the wall…", "Свет мой, зеркальце…"),
    "example.mirror.text": Text("Mirror, mirror on the wall, who is the",
                                "Свет мой, зеркальце! Скажи да всю правду доложи: я ль на свете всех"),
    "example.learn": Text("The best way to learn…", "Лучший способ выучить…"),
    "example.learn.text": Text("The best way to learn a new language is", "Лучший способ выучить новый язык —"),
    "example.code": Text("def fibonacci(n):", "def fibonacci(n):"),
    "example.code.text": Text("def fibonacci(n):\n    ", "def fibonacci(n):\n    "),
    "chat.label": Text("Ask as a chat message", "Спросить как сообщение в чате"),
    "chat.help": Text(
        "Off: the model continues your text as it is. On: the text is wrapped as a user message in the model's "
        "chat template, and the model answers it.",
        "Выключено: модель продолжает ваш текст как есть. Включено: текст оформляется как сообщение "
        "пользователя в шаблоне чата модели, и модель на него отвечает."),
    "seed.help": Text(
        "One seed for the whole page: the token drawn below, every side-by-side column, and the step-through "
        "draws. The same seed reproduces the same text.",
        "Одно зерно на всю страницу: для токена, выбранного ниже, для каждой колонки сравнения и для шагов "
        "в режиме «Стань сэмплером». То же зерно воспроизводит тот же текст."),
    "prompt.label": Text("Prompt", "Запрос"),
    "prompt.help": Text("The text the mirror continues.", "Текст, который продолжает зеркало."),
    "top_n.label": Text("Tokens in the charts", "Токенов на графиках"),
    "top_n.help": Text("How many of the most likely tokens each chart shows.",
                       "Сколько самых вероятных токенов показывает каждый график."),
    "new_tokens.label": Text("New tokens per run", "Новых токенов за прогон"),
    "new_tokens.help": Text(
        "Length of each text on this page (side by side, grid, step-through). Kept separate from the sidebar's "
        "maximum so comparisons stay quick.",
        "Длина каждого текста на этой странице (сравнение, сетка, пошаговый режим). Задаётся отдельно от "
        "максимума на боковой панели, чтобы сравнения оставались быстрыми."),
    "prompt.empty": Text("Type a prompt (or pick an example) to see how the mirror chooses its next token.",
                         "Введите запрос (или выберите пример), чтобы увидеть, как зеркало выбирает следующий "
                         "токен."),
    "prompt.unusable": Text("This prompt cannot be used: {error}", "Этот запрос использовать нельзя: {error}"),
    # {total}, {context} and {dropped} are counted ("300 tokens"), {kept} a plain number
    "prompt.cut": Text(
        "The prompt has {total}, more than {model}'s context window of {context} leaves room for. The first "
        "{dropped} were cut from the left; the mirror reads the last {kept}.",
        "В запросе {total} — больше, чем вмещает контекстное окно модели {model} в {context}, если оставить "
        "место для ответа. Слева отрезано: {dropped}; зеркало читает последние {kept}."),
    "spinner.forward": Text("The mirror reads the prompt (one forward pass)…",
                            "Зеркало читает запрос (один прямой проход)…"),
    # the sampler's stages (chart titles, the table's stage_title)
    "stage.raw": Text("Raw model", "Исходная модель"),
    "stage.repetition_penalty": Text("After repetition penalty", "После штрафа за повторы"),
    "stage.no_repeat_ngram": Text("After no-repeat n-gram", "После запрета повтора n-грамм"),
    "stage.temperature": Text("After temperature", "После температуры"),
    "stage.top_k": Text("After top-k", "После top-k"),
    "stage.top_p": Text("After top-p (final)", "После top-p (итог)"),
    # the stage column of the numbers table: the stage's code name in English
    "stage_short.raw": Text("raw", "исходная"),
    "stage_short.repetition_penalty": Text("repetition_penalty", "штраф за повторы"),
    "stage_short.no_repeat_ngram": Text("no_repeat_ngram", "запрет n-грамм"),
    "stage_short.temperature": Text("temperature", "температура"),
    "stage_short.top_k": Text("top_k", "отбор top-k"),
    "stage_short.top_p": Text("top_p", "отбор top-p"),
    "stage.greedy_skipped": Text("greedy: not applied", "жадный выбор: не применяется"),
    "stage.penalty": Text("penalty {value}", "штраф {value}"),
    "stage.teach.raw": Text(
        "What the model itself believes: the softmax of its logits. Nothing has been changed yet.",
        "Во что верит сама модель: softmax её логитов. Пока ничего не изменено."),
    "stage.teach.repetition_penalty": Text(
        "Tokens already in the text get their logit divided (if positive) or multiplied (if negative) by the "
        "penalty, so the model is nudged away from repeating itself.",
        "У токенов, которые уже есть в тексте, логит делится на штраф (если он положительный) или умножается на "
        "него (если отрицательный), и модель мягко уводится от повторов."),
    "stage.teach.no_repeat_ngram": Text(
        "A token that would repeat an n-gram already in the text is removed outright: a hard ban, not a nudge.",
        "Токен, который повторил бы уже имеющуюся в тексте n-грамму, удаляется полностью: это жёсткий запрет, "
        "а не мягкий толчок."),
    "stage.teach.temperature": Text(
        "Logits are divided by T. Below 1 the favourites get stronger (strict); above 1 the distribution flattens "
        "and rare tokens get a chance (creative). Order never changes.",
        "Логиты делятся на T. При T меньше 1 фавориты усиливаются (строго); при T больше 1 распределение "
        "становится площе и у редких токенов появляется шанс (творчески). Порядок токенов не меняется никогда."),
    "stage.teach.top_k": Text(
        "Only the k most likely tokens stay in the race; the rest are cut. A fixed-size shortlist.",
        "В борьбе остаются только k самых вероятных токенов; остальные отсекаются. Короткий список "
        "постоянной длины."),
    "stage.teach.top_p": Text(
        "Keeps the smallest set of top tokens whose probabilities add up to p, then renormalises. Confident "
        "model: few tokens; unsure model: many. This is what the sampler draws from.",
        "Оставляет наименьший набор лучших токенов, вероятности которых в сумме дают p, и заново нормирует их. "
        "Уверенная модель — мало токенов, неуверенная — много. Именно из этого выбирает сэмплер."),
    # the distribution tab: figures beside the charts
    "bits": Text("{value} bits", "{value} бит"),
    "fig.entropy_raw": Text("Entropy, raw model", "Энтропия, исходная модель"),
    "fig.entropy_raw.help": Text(
        "How unsure the model is (Shannon entropy of its own distribution). 1 bit = a fair coin; 10 bits ≈ 1,000 "
        "equally likely tokens.",
        "Насколько модель не уверена (энтропия Шеннона её собственного распределения). 1 бит — честная монетка; "
        "10 бит ≈ 1 000 равновероятных токенов."),
    "fig.entropy_final": Text("Entropy, sampler", "Энтропия, сэмплер"),
    "fig.entropy_final.delta": Text("{value} bits vs raw", "{value} бит к исходной"),
    "fig.entropy_final.help": Text(
        "Entropy of the distribution the token is really drawn from, after every stage.",
        "Энтропия распределения, из которого токен на самом деле выбирается, — после всех этапов."),
    "fig.survive_top_k": Text("Survive top-k", "Остаются после top-k"),
    "fig.survive_top_k.help": Text("Tokens still in the race after top-k.",
                                   "Сколько токенов ещё участвует в борьбе после top-k."),
    "fig.survive_top_p": Text("Survive top-p", "Остаются после top-p"),
    "fig.survive_top_p.help": Text("Tokens still in the race after top-p: the final shortlist.",
                                   "Сколько токенов ещё участвует в борьбе после top-p: итоговый короткий список."),
    "fig.of": Text("{kept} of {vocab}", "{kept} из {vocab}"),
    "fig.not_applied": Text("not applied", "не применяется"),
    "fig.mass_kept": Text("Probability mass kept", "Сохранённая вероятность"),
    "fig.mass_kept.help": Text(
        "The share of the distribution after temperature that top-k and top-p keep (top-k alone keeps {top_k}); "
        "it is then rescaled to 100%.",
        "Доля распределения после температуры, которую оставляют top-k и top-p (один top-k оставляет {top_k}); "
        "потом она снова растягивается до 100\u00a0%."),
    "fig.chosen": Text("Drawn token's probability", "Вероятность выбранного токена"),
    "fig.chosen.help": Text("Probability of the drawn token under the sampler's final distribution.",
                            "Вероятность выбранного токена в итоговом распределении сэмплера."),
    "fig.next_greedy": Text(
        "Next token: the sampler takes the most likely token (greedy) “{token}” (id {id}), {prob} under the "
        "sampler, {raw} under the raw model.",
        "Следующий токен: сэмплер берёт самый вероятный токен (жадный выбор) «{token}» (id {id}) — {prob} у "
        "сэмплера, {raw} у исходной модели."),
    "fig.next_drawn": Text(
        "Next token: with seed {seed} the sampler draws “{token}” (id {id}), {prob} under the sampler, {raw} "
        "under the raw model.",
        "Следующий токен: с зерном {seed} сэмплер вытягивает «{token}» (id {id}) — {prob} у сэмплера, {raw} у "
        "исходной модели."),
    "greedy_note": Text(
        "Temperature 0 means greedy decoding: temperature, top-k and top-p are skipped and the most likely token "
        "after the penalties is always chosen.",
        "Температура 0 означает жадное декодирование: температура, top-k и top-p пропускаются, и всегда "
        "выбирается самый вероятный токен после штрафов."),
    "reading_the_charts": Text(
        "**Reading the charts.** Solid blue bar: still in the race. Pale orange bar with a dashed outline: removed "
        "by this stage, drawn at the probability it had just before. ✕: removed. Dashed red-orange line: where top-k "
        "or top-p cuts. Tokens are in the order top-k and top-p see them (after the penalties); ␣ is a space, ⏎ a "
        "newline. Under each chart, the same in words.",
        "**Как читать графики.** Сплошной синий столбец — токен ещё в борьбе. Бледно-оранжевый столбец с "
        "пунктирным контуром — удалён этим этапом и нарисован с той вероятностью, что была у него перед этапом. "
        "✕ — удалён. Красно-оранжевая пунктирная линия — место, где отсекают top-k или top-p. Токены идут в том "
        "порядке, в каком их видят top-k и top-p (после штрафов); ␣ — пробел, ⏎ — перевод строки. Под каждым "
        "графиком — то же словами."),
    "cut.top_k": Text("top-k cut (k = {k})", "отсечка top-k (k = {k})"),
    "cut.top_p": Text("top-p cut (p = {p})", "отсечка top-p (p = {p})"),
    "numbers.expander": Text("The numbers behind the charts", "Числа, по которым построены графики"),
    "numbers.download": Text("⬇️ Stages as CSV", "⬇️ Этапы в CSV"),
    # the numbers table's columns (English: the column names themselves)
    "col.stage": Text("stage", "этап"),
    "col.rank": Text("rank", "место"),
    "col.token_id": Text("token_id", "id токена"),
    "col.token": Text("token", "токен"),
    "col.logit": Text("logit", "логит"),
    "col.prob": Text("prob", "вероятность"),
    "col.prob_before": Text("prob_before", "вероятность до этапа"),
    "col.removed": Text("removed", "удалён"),
    "col.status": Text("status", "статус"),
    # a token's status at a stage (English: the status values themselves)
    "status.kept": Text("kept", "остаётся"),
    "status.removed here": Text("removed here", "удалён здесь"),
    "status.removed earlier": Text("removed earlier", "удалён раньше"),
    # the charts
    "chart.probability": Text("probability", "вероятность"),
    "chart.token": Text("token", "токен"),
    "chart.logit": Text("logit", "логит"),
    "chart.status": Text("status", "статус"),
    "chart.prob_here": Text("probability here", "вероятность здесь"),
    "chart.prob_before": Text("before this stage", "до этого этапа"),
    "chart.drawn": Text("★ drawn", "★ выбран"),
    "chart.temperature": Text("temperature", "температура"),
    "chart.series": Text("series", "ряд"),
    "chart.value": Text("value", "значение"),
    "chart.distinct_1": Text("distinct-1 (variety of words)", "distinct-1 (разнообразие слов)"),
    "chart.perplexity": Text("perplexity under the raw model", "перплексия по исходной модели"),
    "chart.setting": Text("setting", "настройка"),
    "chart.seed": Text("seed", "зерно"),
    "chart.tokens": Text("tokens", "токены"),
    "chart.text": Text("text", "текст"),
    # the charts in words: each chart's text alternative, a caption right under it ({top}, {changes}, {values}
    # and {means} are lists the code joins; tokens come quoted in the language's quotation marks)
    "alt.stage.shown": Text("{count} token shown|{count} tokens shown",
                            "{count} показанного токена|{count} показанных токенов|{count} показанных токенов"),
    "alt.stage.top": Text("{title}. The most likely of the {shown} at this stage: {top}.",
                          "{title}. Самые вероятные из {shown} на этом этапе: {top}."),
    "alt.stage.none": Text("{title}. None of the {shown} is still in the race.",
                           "{title}. Ни один из {shown} уже не участвует в борьбе."),
    "alt.stage.all_kept": Text("All of them are still in the race.", "Все они ещё в борьбе."),
    "alt.stage.kept": Text("Still in the race: {kept} of {shown}.", "Ещё в борьбе: {kept} из {shown}."),
    "alt.stage.removed_here": Text(
        "This stage removed {count} token, which had {mass} just before it.|"
        "This stage removed {count} tokens, which had {mass} together just before it.",
        "Этот этап удалил {count} токен; перед этапом его вероятность была {mass}.|"
        "Этот этап удалил {count} токена; перед этапом их вероятность в сумме была {mass}.|"
        "Этот этап удалил {count} токенов; перед этапом их вероятность в сумме была {mass}."),
    "alt.stage.removed_earlier": Text(
        "{count} was removed by an earlier stage.|{count} were removed by earlier stages.",
        "{count} удалён одним из прежних этапов.|{count} удалены прежними этапами.|{count} удалены прежними "
        "этапами."),
    "alt.stage.drawn": Text("★ marks the drawn token, {token}.", "★ отмечает выбранный токен — {token}."),
    "alt.temperature.range": Text("{measure} as the temperature goes from {low} to {high}: {changes}.",
                                  "{measure} при температуре от {low} до {high}: {changes}."),
    "alt.temperature.change": Text("{series} from {start} to {end}", "{series} — от {start} до {end}"),
    "alt.temperature.at": Text("At the sidebar's temperature, {temperature} (the dashed line): {values}.",
                               "При температуре с боковой панели, {temperature} (пунктирная линия): {values}."),
    "alt.grid.settings": Text("{count} setting|{count} settings",
                              "{count} настройка|{count} настройки|{count} настроек"),
    "alt.grid.summary": Text(
        "{runs} in all, {settings}. Mean per setting, distinct-1 (variety of words) and perplexity: {means}.",
        "Всего {runs}, {settings}. Средние по каждой настройке, distinct-1 (разнообразие слов) и перплексия: "
        "{means}."),
    "alt.grid.mean": Text("{setting} {distinct} and {perplexity}", "{setting} — {distinct} и {perplexity}"),
    "alt.grid.extremes": Text(
        "The most varied text: {varied}; the least surprising to the raw model: {plain}.",
        "Самый разнообразный текст — у настройки «{varied}», наименее неожиданный для исходной модели — "
        "у «{plain}»."),
    # the temperature tab
    "temperature.intro": Text(
        "The same logits, every other setting as in the sidebar, temperature from 0.1 to 2. 'whole distribution' "
        "is right after temperature; 'after top-k and top-p' is what the sampler draws from. The dashed line is "
        "the sidebar's temperature.",
        "Те же логиты, все остальные настройки — как на боковой панели, температура от 0,1 до 2. "
        "«Всё распределение» — сразу после температуры; «после top-k и top-p» — то, из чего выбирает сэмплер. "
        "Пунктирная линия — температура с боковой панели."),
    "temperature.entropy": Text("Entropy (bits)", "Энтропия (бит)"),
    "temperature.top1": Text("Top-1 probability", "Вероятность фаворита"),
    "temperature.full": Text("whole distribution", "всё распределение"),
    "temperature.final": Text("after top-k and top-p", "после top-k и top-p"),
    "temperature.lesson": Text(
        "Higher temperature, flatter distribution: entropy rises and the favourite's probability falls. Top-k and "
        "top-p hold the final entropy down, which is why they tame a high temperature.",
        "Чем выше температура, тем площе распределение: энтропия растёт, а вероятность фаворита падает. Top-k и "
        "top-p сдерживают итоговую энтропию — поэтому они и укрощают высокую температуру."),
    # the settings compared (side by side, grid)
    "setting.sidebar": Text("Sidebar settings", "Настройки боковой панели"),
    "setting.greedy": Text("Greedy", "Жадный выбор"),
    "setting.custom": Text("Custom", "Свои значения"),
    "setting.sidebar.help": Text("whatever the sidebar is set to now", "то, что сейчас выставлено на боковой панели"),
    "setting.greedy.help": Text("temperature 0 and no penalties: always the single most likely token",
                                "температура 0 и никаких штрафов: всегда один самый вероятный токен"),
    "setting.custom.help": Text("your own values, set in this column", "ваши собственные значения в этой колонке"),
    "describe.greedy": Text("greedy", "жадный выбор"),
    "describe.tail": Text("{head} · penalty {penalty} · n-gram {n}", "{head} · штраф {penalty} · запрет n-грамм {n}"),
    # text metrics (dataframe columns)
    "metric.setting": Text("setting", "настройка"),
    "metric.seed": Text("seed", "зерно"),
    "metric.runs": Text("runs", "прогоны"),
    "metric.finish": Text("finish", "завершение"),
    "metric.text": Text("text", "текст"),
    "metric.tokens": Text("tokens", "токены"),
    "metric.tokens.help": Text("Length of the text in tokens", "Длина текста в токенах"),
    "metric.distinct_1.help": Text("Distinct tokens / tokens", "Различные токены / все токены"),
    "metric.distinct_2.help": Text("Distinct token pairs / pairs", "Различные пары токенов / все пары"),
    "metric.repeated": Text("repeated {n}-grams", "повторы {n}-грамм"),
    "metric.repeated.help": Text(
        "Share of {n}-grams that already appeared earlier in the text (0 = no loops)",
        "Доля {n}-грамм, которые уже встречались в тексте раньше (0 — зацикливаний нет)"),
    "metric.mean_logprob": Text("mean log-prob", "средняя лог-вероятность"),
    "metric.mean_logprob.help": Text("Mean natural-log probability per token under the raw model",
                                     "Средний натуральный логарифм вероятности на токен по исходной модели"),
    "metric.perplexity": Text("perplexity", "перплексия"),
    "metric.perplexity.help": Text(
        "exp(−mean log-prob) under the raw model: lower = less surprising",
        "exp(−средняя лог-вероятность) по исходной модели: чем меньше, тем менее неожиданный текст"),
    "metric.distinct_2_std": Text("distinct-2 spread", "разброс distinct-2"),
    "metric.distinct_2_std.help": Text("Standard deviation over the seeds", "Стандартное отклонение по зёрнам"),
    # the side-by-side tab
    "sbs.intro": Text(
        "The same prompt and the same seed, different settings: only the sampler differs, so every difference in "
        "the texts comes from the settings.",
        "Тот же запрос и то же зерно, разные настройки: отличается только сэмплер, поэтому любая разница "
        "в текстах — от настроек."),
    "sbs.metrics_note": Text(
        "Perplexity and log-probability are measured under the raw model (no sampler), given the prompt: low "
        "perplexity = text the model finds natural; high distinct-n = varied wording.",
        "Перплексия и лог-вероятность измеряются по исходной модели (без сэмплера) с учётом запроса: низкая "
        "перплексия — текст, естественный для модели; высокий distinct-n — разнообразные формулировки."),
    "sbs.columns": Text("Columns", "Колонки"),
    "sbs.setting": Text("Setting {n}", "Настройка {n}"),
    "sbs.custom_values": Text("Custom values", "Свои значения"),
    "sbs.go": Text("▶️ Generate side by side", "▶️ Сгенерировать рядом"),
    # {tokens} is counted ("48 tokens")
    "sbs.go.help": Text("Each column writes up to {tokens} with seed {seed}.",
                        "Каждая колонка пишет с зерном {seed} не больше, чем {tokens}."),
    "sbs.waiting": Text("Press Generate to write here.", "Нажмите «Сгенерировать», и здесь появится текст."),
    "sbs.silent": Text("_(the mirror stayed silent)_", "_(зеркало промолчало)_"),
    "sbs.inspect": Text("🔍 Inspect tokens", "🔍 Разобрать токены"),
    "sbs.inspect.help": Text("Open this text in the Token Inspector", "Открыть этот текст в инспекторе токенов"),
    "sbs.stale": Text(
        "These texts were written for an earlier prompt or other settings; press Generate to redo them.",
        "Эти тексты написаны для прежнего запроса или других настроек; нажмите «Сгенерировать», чтобы написать "
        "их заново."),
    # the grid tab
    "grid.intro": Text("Several seeds per setting show what a setting does on average, not just once.",
                       "Несколько зёрен на каждую настройку показывают, что она делает в среднем, а не в одном "
                       "случае."),
    "grid.settings": Text("Settings", "Настройки"),
    "grid.seeds": Text("Seeds per setting", "Зёрен на настройку"),
    "grid.runs": Text("{count} run|{count} runs", "{count} прогон|{count} прогона|{count} прогонов"),
    # {runs} and {tokens} are counted
    "grid.plan": Text("{runs} of up to {tokens}, seeds {first}–{last}.",
                      "{runs}, в каждом не больше, чем {tokens}; зёрна {first}–{last}."),
    "grid.go": Text("▶️ Run the grid", "▶️ Запустить сетку"),
    "grid.starting": Text("Starting…", "Начинаем…"),
    "grid.progress": Text("{done}/{total}: {name}, seed {seed}", "{done}/{total}: {name}, зерно {seed}"),
    "grid.mean": Text("**Mean per setting**", "**Среднее по каждой настройке**"),
    "grid.dots": Text(
        "**Each dot is one run**: variety of words against how surprising the text is to the raw model",
        "**Каждая точка — один прогон**: разнообразие слов против того, насколько текст неожидан для исходной "
        "модели"),
    "grid.all_runs": Text("All runs", "Все прогоны"),
    "grid.download": Text("⬇️ Download the runs as CSV", "⬇️ Скачать прогоны в CSV"),
    # the "be the sampler" tab
    "walk.intro": Text(
        "You are the sampler. Pick the next token yourself, or let the sampler draw one with the sidebar's "
        "settings and seed {seed}. Drawing every token gives exactly the text the mirror would write.",
        "Сэмплер — это вы. Выберите следующий токен сами или дайте сэмплеру вытянуть его с настройками боковой "
        "панели и зерном {seed}. Если все токены вытянет сэмплер, получится ровно тот текст, который написало бы "
        "зеркало."),
    "walk.prompt": Text("Prompt: {prompt}", "Запрос: {prompt}"),
    "walk.empty": Text("_(no tokens yet)_", "_(токенов пока нет)_"),
    "walk.dropped": Text(
        "The text ends inside a character: {count} byte of it left out.|"
        "The text ends inside a character: {count} bytes of it left out.",
        "Текст обрывается посреди символа: {count} байт из него не показан.|"
        "Текст обрывается посреди символа: {count} байта из него не показаны.|"
        "Текст обрывается посреди символа: {count} байт из него не показаны."),
    "walk.marks": Text("{count} (🧑 picked by you, 🎲 drawn by the sampler): {marks}",
                       "{count} (🧑 — выбрал человек, 🎲 — вытянул сэмплер): {marks}"),
    "walk.draw": Text("🎲 Let the sampler draw", "🎲 Пусть тянет сэмплер"),
    "walk.undo": Text("↩️ Undo", "↩️ Отменить"),
    "walk.auto": Text("⏩ Continue to the end", "⏩ Продолжить до конца"),
    "walk.auto.help": Text("The sampler draws every remaining token, one at a time.",
                           "Сэмплер по одному вытягивает все оставшиеся токены."),
    "walk.reset": Text("🔄 Start over", "🔄 Начать заново"),
    "walk.finished.eos": Text("Finished: the mirror chose its end-of-text token.",
                              "Готово: зеркало выбрало свой токен конца текста."),
    "walk.finished.length": Text("Finished: the text reached the token limit.",
                                 "Готово: текст достиг предела токенов."),
    "walk.finished.context": Text("Finished: the text filled the context window.",
                                  "Готово: текст заполнил контекстное окно."),
    "walk.candidates": Text(
        "**Candidates for the next token**: the model's top ten with the sampler's probability. Borderless ones "
        "were cut by the settings: the sampler can never draw them, but you may.",
        "**Кандидаты на следующий токен**: десять лучших по мнению модели, с вероятностью у сэмплера. Кнопки без "
        "рамки отсечены настройками: сэмплер никогда их не вытянет, а вы можете выбрать."),
    "walk.cut": Text("cut", "отсечён"),
    "walk.pick.help": Text("token id {id}: {raw} under the raw model, {final} under the sampler",
                           "id токена {id}: {raw} у исходной модели, {final} у сэмплера"),
    "walk.table": Text("Candidates as a table", "Кандидаты в виде таблицы"),
    "walk.col.token": Text("token", "токен"),
    "walk.col.raw": Text("raw model", "исходная модель"),
    "walk.col.sampler": Text("sampler", "сэмплер"),
    "walk.col.status": Text("status", "статус"),
    "walk.removed": Text("removed", "удалён"),
    "walk.can_draw": Text("can be drawn", "может выпасть"),
    # the guide
    "guide.heading": Text("**What each setting does**", "**Что делает каждая настройка**"),
    "guide.col.parameter": Text("Parameter", "Параметр"),
    "guide.col.low": Text("Low value", "Низкое значение"),
    "guide.col.high": Text("High value", "Высокое значение"),
    "guide.col.control": Text("Recommended control", "Рекомендуемый элемент управления"),
    "guide.temperature.low": Text("determinism, dry text, repetition", "предсказуемость, сухой текст, повторы"),
    "guide.temperature.high": Text("creativity, nonsense, mistakes", "творчество, бессмыслица, ошибки"),
    "guide.temperature.control": Text("slider 0.1–1.5, default 0.7", "ползунок 0,1–1,5, по умолчанию 0,7"),
    "guide.top_k.low": Text("a limited vocabulary", "ограниченный словарь"),
    "guide.top_k.high": Text("risk of picking rare words", "риск выбрать редкие слова"),
    "guide.top_k.control": Text("slider 0–100, default 50", "ползунок 0–100, по умолчанию 50"),
    "guide.top_p.low": Text("focus on the most likely tokens", "упор на самые вероятные токены"),
    "guide.top_p.high": Text("variety", "разнообразие"),
    "guide.top_p.control": Text("slider 0.5–1.0, default 0.95", "ползунок 0,5–1,0, по умолчанию 0,95"),
    "guide.repetition_penalty.low": Text("loops are possible", "возможны зацикливания"),
    "guide.repetition_penalty.high": Text("avoids the topic, drifts to other contexts",
                                          "уходит от темы, уплывает в другие контексты"),
    "guide.repetition_penalty.control": Text("slider 1.0–2.0, default 1.2", "ползунок 1,0–2,0, по умолчанию 1,2"),
    "guide.triangle": Text(
        """
**The trade-off triangle**: you can lean towards one corner, never all three.

1. **Coherence**: a high repetition penalty and a low temperature. Dull and sometimes repetitive, but grammatical.
2. **Creativity**: a high temperature with sampling switched on. New ideas, and a risk of hallucination.
3. **Correctness**: strict top-k filtering. Safe text with a limited vocabulary.

A *balanced* default sits between them: temperature 0.7, top-k 50, no-repeat n-gram size 2
(the **Balanced** preset, with top-p 0.95 and repetition penalty 1.2).
""",
        """
**Треугольник компромиссов**: можно склониться к одному углу, но никогда не ко всем трём сразу.

1. **Связность**: высокий штраф за повторы и низкая температура. Скучно и порой однообразно, зато грамотно.
2. **Творчество**: высокая температура при включённой случайной выборке. Новые идеи — и риск галлюцинаций.
3. **Правильность**: строгий отбор top-k. Надёжный текст с ограниченным словарём.

*Сбалансированная* настройка по умолчанию лежит посередине: температура 0,7, top-k 50, запрет повтора n-грамм
длины 2 (пресет **Сбалансированный**, ещё top-p 0,95 и штраф за повторы 1,2).
"""),
    "guide.stage_order": Text(
        "**The order of the stages** is the one the sampler (and transformers' `generate`) uses: repetition "
        "penalty → no-repeat n-gram → temperature → top-k → top-p → draw. Every chart on this page is read from "
        "that same pipeline, so the numbers are exactly the ones the sampler uses.",
        "**Порядок этапов** тот же, что у сэмплера (и у `generate` из библиотеки transformers): штраф за повторы → "
        "запрет повтора n-грамм → температура → top-k → top-p → выбор токена. Каждый график на этой странице "
        "построен по этому же конвейеру, поэтому числа на нём в точности те, которыми пользуется сэмплер."),
    # errors the explorer service reports to the page
    "error.empty_prompt": Text("the prompt is empty", "запрос пуст"),
    "error.no_settings": Text("choose at least one setting and one seed",
                              "выберите хотя бы одну настройку и одно зерно"),
}
