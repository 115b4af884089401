"""Texts every page shares: page names, the sidebar, parameters and presets, model loading, lesson links."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
    # pages (menu, heading, browser tab)
    "app_name": Text("Magic Mirror", "Волшебное зеркало"),
    "page.home": Text("Home", "Главная"),
    "page.chat": Text("Chat", "Чат"),
    "page.explorer": Text("Parameter Explorer", "Исследователь параметров"),
    "page.inspector": Text("Token Inspector", "Инспектор токенов"),
    "page.inside": Text("Inside the Mirror", "Внутри зеркала"),
    "page.teacher": Text("Teacher", "Учитель"),
    "page.class": Text("Class", "Класс"),
    "page.projector": Text("Projector", "Проектор"),
    # the language switch
    "language.label": Text("🌐 Language", "🌐 Язык"),
    "language.help": Text("The language of the whole app. A link with ?lang=ru or ?lang=en opens in that language.",
                          "Язык всего приложения. Ссылка с ?lang=ru или ?lang=en открывается на этом языке."),
    # the sidebar
    "sidebar.heading": Text("### 🪞 Mirror settings", "### 🪞 Настройки зеркала"),
    "sidebar.served_by": Text("Model: served by the inference server at {url}",
                              "Модель: её обслуживает сервер инференса {url}"),
    "sidebar.model": Text("Model", "Модель"),
    "sidebar.model_any_help": Text(
        "{bundled} is bundled and works offline. A Hugging Face id such as gpt2 or distilgpt2, or a local folder, "
        "also works when available.",
        "{bundled} входит в комплект и работает без интернета. Идентификатор Hugging Face (например, gpt2 или "
        "distilgpt2) или локальная папка тоже подойдут, если они доступны."),
    "sidebar.model_list_help": Text(
        "The models this deployment offers (set by its operator with MIRROR_MODELS; MIRROR_ALLOW_ANY_MODEL=1 lets "
        "users type any id).",
        "Модели, которые предлагает эта установка (их задаёт администратор через MIRROR_MODELS; "
        "MIRROR_ALLOW_ANY_MODEL=1 позволяет вводить любой идентификатор)."),
    "sidebar.preset": Text("Preset", "Пресет"),
    "sidebar.fix_seed": Text("Fix the seed", "Зафиксировать зерно"),
    "sidebar.fix_seed_help": Text(
        "Off: every reply draws a new random seed (shown under the reply). On: the same seed, prompt and settings "
        "reproduce a reply exactly.",
        "Выключено: для каждого ответа выбирается новое случайное зерно (оно показано под ответом). Включено: то же "
        "зерно, тот же запрос и те же настройки в точности повторяют ответ."),
    "sidebar.seed": Text("Seed", "Зерно"),
    "sidebar.unsupported": Text(" Not supported by the inference server, so it is not used: it stays at {value}.",
                                " Сервер инференса это не поддерживает, поэтому параметр не используется: "
                                "он остаётся равным {value}."),
    "sidebar.load_line": Text("Runtime {runtime} · {replies} being written", "Среда {runtime} · пишется: {replies}"),
    "sidebar.load_replies": Text("{count} reply|{count} replies", "{count} ответ|{count} ответа|{count} ответов"),
    "sidebar.load_waiting": Text(", {count} waiting", ", в очереди: {count}"),
    "sidebar.load_capacity": Text(" (up to {count} at once)", " (до {count} одновременно)"),
    # parameters
    "param.temperature": Text("Temperature", "Температура"),
    "param.top_k": Text("Top-k", "Top-k"),
    "param.top_p": Text("Top-p", "Top-p"),
    "param.repetition_penalty": Text("Repetition penalty", "Штраф за повторы"),
    "param.no_repeat_ngram_size": Text("No-repeat n-gram size", "Запрет повтора n-грамм"),
    "param.max_new_tokens": Text("Max new tokens", "Максимум новых токенов"),
    "param.temperature.help": Text(
        "Divides the logits: below 1 sharpens the distribution (strict), above 1 flattens it (creative). 0 always "
        "picks the most likely token (greedy).",
        "Делит логиты: меньше 1 — распределение острее (строго), больше 1 — площе (творчески). 0 всегда выбирает "
        "самый вероятный токен (жадный выбор)."),
    "param.top_k.help": Text("Keeps only the k most likely tokens before sampling. 0 turns it off.",
                             "Оставляет перед выбором только k самых вероятных токенов. 0 выключает."),
    "param.top_p.help": Text(
        "Nucleus sampling: keeps the smallest set of tokens whose probabilities add up to p. 1 turns it off.",
        "Ядерная выборка: оставляет наименьший набор токенов, вероятности которых в сумме дают p. 1 выключает."),
    "param.repetition_penalty.help": Text(
        "Makes every token already in the text less likely (divides positive logits, multiplies negative ones). "
        "1 turns it off.",
        "Делает менее вероятным каждый токен, который уже есть в тексте (делит положительные логиты, умножает "
        "отрицательные). 1 выключает."),
    "param.no_repeat_ngram_size.help": Text(
        "Forbids any sequence of n tokens from appearing twice. 0 turns it off.",
        "Запрещает любой последовательности из n токенов появляться дважды. 0 выключает."),
    "param.max_new_tokens.help": Text("Upper limit on the number of tokens the model writes in one reply.",
                                      "Наибольшее число токенов, которое модель пишет в одном ответе."),
    # presets
    "preset.Strict": Text("Strict", "Строгий"),
    "preset.Balanced": Text("Balanced", "Сбалансированный"),
    "preset.Creative": Text("Creative", "Творческий"),
    "preset.Custom": Text("Custom", "Свой"),
    "preset.Strict.help": Text("coherent and predictable: low temperature, tight top-k, strong penalties",
                               "связно и предсказуемо: низкая температура, узкий top-k, сильные штрафы"),
    "preset.Balanced.help": Text("the middle way: temperature 0.7, top-k 50, top-p 0.95, penalty 1.2",
                                 "золотая середина: температура 0,7, top-k 50, top-p 0,95, штраф 1,2"),
    "preset.Creative.help": Text("surprising and varied: high temperature, wide top-k, light penalty, may wander off",
                                 "неожиданно и разнообразно: высокая температура, широкий top-k, слабый штраф, "
                                 "может уйти от темы"),
    "preset.Custom.help": Text("your own mix", "ваша собственная смесь"),
    # loading the model
    "loader.connecting": Text("Connecting to the inference server…", "Подключаемся к серверу инференса…"),
    "loader.server_down": Text("The inference server is not available. {error}",
                               "Сервер инференса недоступен. {error}"),
    "loader.loading": Text(
        "Polishing the mirror: loading {name}… (the first start unpacks the bundled model (about 20 s); later starts "
        "take a few seconds)",
        "Полируем зеркало: загружаем {name}… (при первом запуске распаковывается встроенная модель, около 20 с; "
        "следующие запуски занимают несколько секунд)"),
    "loader.failed": Text("The model could not be loaded. {error}", "Не удалось загрузить модель. {error}"),
    "loader.use_bundled": Text("Use the bundled {name} instead", "Взять встроенную модель {name}"),
    # lesson links and the projector view
    "link.button": Text("🔗 Link to this", "🔗 Ссылка на это"),
    "link.button_help": Text(
        "A link that reopens this page as it is now: the text, the settings, the seed, the chosen token, the "
        "language and the model. Fix the seed first to get the same text again.",
        "Ссылка, которая откроет эту страницу такой, как сейчас: текст, настройки, зерно, выбранный токен, язык и "
        "модель. Чтобы получить тот же текст снова, сначала зафиксируйте зерно."),
    "link.ready": Text("Copy this link, not the address bar (which also says who you are, so that a reload "
                       "keeps your saved work):",
                       "Скопируйте эту ссылку, а не адресную строку (в ней ещё записано, кто вы, чтобы после "
                       "перезагрузки сохранённое осталось вашим):"),
    "link.no_seed": Text("The seed is not fixed, so the link reopens the view but the model may write another text.",
                         "Зерно не зафиксировано: ссылка откроет тот же вид, но модель может написать другой текст."),
    "link.left_out": Text("The whole view would make a link too long for web servers, so it leaves out: {names}.",
                          "Весь вид дал бы слишком длинную для веб-серверов ссылку, поэтому в ней нет: {names}."),
    "link.field.question": Text("question {number}", "вопрос {number}"),
    "link.field.text": Text("the text", "текст"),
    "link.field.written": Text("how the text was written (its tokens, its prompt, the sampler's probabilities)",
                               "как текст был написан (его токены, запрос и вероятности сэмплера)"),
    "link.opened": Text("Opened from a lesson link.", "Открыто по ссылке урока."),
    "link.dropped": Text("Some values in the link were not valid and were left out: {names}.",
                         "Некоторые значения в ссылке неверны и пропущены: {names}."),
    "link.model_refused": Text("The link asks for the model {model}, which this deployment does not offer; "
                               "{used} is used instead.",
                               "Ссылка просит модель {model}, которой нет в этой установке; вместо неё используется "
                               "{used}."),
    "projector.toggle": Text("📽️ Projector view", "📽️ Вид для проектора"),
    "projector.help": Text("Larger type and no sidebar, for a screen the whole class reads. A lesson link keeps it.",
                           "Крупный шрифт и без боковой панели — для экрана, который читает весь класс. "
                           "Ссылка урока сохраняет этот вид."),
    "projector.leave": Text("Leave the projector view", "Выйти из вида для проектора"),
    "gemma_notice": Text(
        "{model} (optional, writes Russian) is Google's Gemma, provided under and subject to the Gemma Terms of Use "
        "(https://ai.google.dev/gemma/terms) and the Gemma Prohibited Use Policy "
        "(https://ai.google.dev/gemma/prohibited_use_policy).",
        "{model} (по желанию, пишет по-русски) — это Gemma от Google; она предоставляется на условиях Gemma Terms "
        "of Use (https://ai.google.dev/gemma/terms) и правил Gemma Prohibited Use Policy "
        "(https://ai.google.dev/gemma/prohibited_use_policy)."),
}
