"""Texts of the home area (keys read as `home.<key>`), the model card's description of the model included."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
    "intro": Text(
        "A small language model you can watch think: chat with it, see how temperature, top-k and top-p "
        "reshape its choices, inspect why every token came out, and look inside it: what each layer would say "
        "and where each head looks. Everything runs on this machine.",
        "Небольшая языковая модель, за ходом мысли которой можно наблюдать: поговорите с ней, посмотрите, как "
        "температура, top-k и top-p меняют её выбор, разберите, почему появился каждый токен, и загляните внутрь: "
        "что сказал бы каждый слой и куда смотрит каждая голова внимания. Всё работает на этом компьютере."),
    "link.chat": Text("Chat with the mirror", "Поговорить с зеркалом"),
    "link.inside": Text("Look inside the mirror", "Заглянуть внутрь зеркала"),
    # the model card
    "source.remote": Text("an OpenAI-compatible inference server", "сервер инференса, совместимый с OpenAI"),
    "source.bundled": Text("bundled with the app, runs offline", "входит в комплект приложения, работает без интернета"),
    "source.hub": Text("Hugging Face Hub", "Hugging Face Hub"),
    "source.local": Text("local folder", "локальная папка"),
    "source.package": Text("an installed model package, runs offline",
                           "установленный пакет модели, работает без интернета"),
    "card.source": Text("Source: {source} · {location}", "Источник: {source} · {location}"),
    "card.parameters": Text("Parameters", "Параметры"),
    "card.on_server": Text("on the server", "на сервере"),
    "card.millions": Text("{value} M", "{value} млн"),
    "card.weights": Text("{count} weight|{count} weights", "{count} вес|{count} веса|{count} весов"),
    "card.context": Text("Context", "Контекст"),
    "card.tokens": Text("{count} token|{count} tokens", "{count} токен|{count} токена|{count} токенов"),
    "card.not_reported": Text("not reported", "не сообщается"),
    "card.device": Text("Device", "Устройство"),
    "card.precision": Text("Precision", "Точность"),
    "card.load_time": Text("Load time", "Время загрузки"),
    "card.connect_time": Text("Connect time", "Время подключения"),
    "card.seconds": Text("{value} s", "{value} с"),
    "card.from_cache": Text("from the weight cache", "из кэша весов"),
    "card.first_load": Text("first load (cache built now)", "первая загрузка (кэш создан сейчас)"),
    "card.runtime": Text("Runtime {runtime}, chosen on this machine by timing: {choices}",
                         "Среда {runtime}, выбрано на этом компьютере по замерам времени: {choices}"),
    "card.base_model": Text(
        "This is a base model without a chat template: questions are asked as a plain dialogue.",
        "Это базовая модель без шаблона чата: вопросы задаются ей как простой диалог."),
    # what the loader chose for this CPU by timing (mirror/models/fastlinear.py, loaders.py)
    "speed.layout": Text("linear layers: {reason}", "линейные слои: {reason}"),
    "speed.no_layers": Text("stock (no float32 CPU linear layers)", "стандартные (линейных слоёв float32 на CPU нет)"),
    "speed.forced_stock": Text("stock x @ Wᵀ (MIRROR_LINEAR_LAYOUT=stock)", "стандартное умножение x @ Wᵀ (MIRROR_LINEAR_LAYOUT=stock)"),
    "speed.forced_gemm": Text("(W @ xᵀ)ᵀ for every row count (MIRROR_LINEAR_LAYOUT=gemm)",
                              "(W @ xᵀ)ᵀ при любом числе строк (MIRROR_LINEAR_LAYOUT=gemm)"),
    "speed.measured": Text(
        "(stock x @ Wᵀ vs (W @ xᵀ)ᵀ, the linear layers of one decode step: {figures}; timed in {seconds} s)",
        "(стандартное x @ Wᵀ против (W @ xᵀ)ᵀ, линейные слои одного шага декодирования: {figures}; "
        "замер занял {seconds} с)"),
    "speed.kept": Text(
        "(stock x @ Wᵀ vs (W @ xᵀ)ᵀ, the linear layers of one decode step: {figures}; measured once on this machine "
        "in {seconds} s and kept, so that every load computes the same numbers)",
        "(стандартное x @ Wᵀ против (W @ xᵀ)ᵀ, линейные слои одного шага декодирования: {figures}; замерено один раз "
        "на этом компьютере за {seconds} с и сохранено, чтобы каждая загрузка считала одинаково)"),
    "speed.figure": Text("{rows}: {stock} vs {gemm} ms", "{rows}: {stock} против {gemm} мс"),
    "speed.rows": Text("{count} row|{count} rows", "{count} строка|{count} строки|{count} строк"),
    "speed.auto_stock": Text(
        "auto kept the stock x @ Wᵀ: (W @ xᵀ)ᵀ is not clearly faster here at any row count {measured}",
        "автовыбор оставил стандартное умножение x @ Wᵀ: (W @ xᵀ)ᵀ здесь ни при каком числе строк не быстрее заметно "
        "{measured}"),
    "speed.auto_gemm_all": Text("auto chose (W @ xᵀ)ᵀ for every row count of a decode step {measured}",
                                "автовыбор: (W @ xᵀ)ᵀ при любом числе строк шага декодирования {measured}"),
    "speed.auto_gemm_some": Text("auto chose (W @ xᵀ)ᵀ for {counts} rows, stock for the rest {measured}",
                                 "автовыбор: (W @ xᵀ)ᵀ при числе строк {counts}, при остальных — стандартное "
                                 "{measured}"),
    "speed.llamacpp": Text("llama.cpp CPU features: {features}", "возможности процессора для llama.cpp: {features}"),
    # ask the mirror
    "ask.heading": Text("#### Ask the mirror", "#### Спросите зеркало"),
    "ask.placeholder": Text("Ask the mirror anything…", "Спросите зеркало о чём угодно…"),
    "ask.your_question": Text("Your question", "Ваш вопрос"),
}
