"""Texts of the chat area (keys read as `chat.<key>`): the Chat page, streaming replies, conversations, the server."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
    # the views (options keep their English values: "💬 Conversation", "✍️ Compose", "📚 Saved")
    "view.label": Text("View", "Вид"),
    "view.conversation": Text("💬 Conversation", "💬 Разговор"),
    "view.compose": Text("✍️ Compose", "✍️ Сочинение"),
    "view.saved": Text("📚 Saved", "📚 Сохранённое"),
    # the system prompt the mirror gets before a conversation (the persona box shows and edits it)
    "system_prompt": Text("You are the Magic Mirror, a friendly and honest assistant. Answer clearly and briefly.",
                          "Ты — Волшебное зеркало, дружелюбный и честный помощник. Отвечай ясно и кратко."),
    # the conversation
    "input.placeholder": Text("Talk to the mirror…", "Поговорите с зеркалом…"),
    "empty_chat": Text(
        "Say hello to the mirror. Replies stream token by token; press ■ in the input box to stop one.",
        "Поздоровайтесь с зеркалом. Ответ появляется токен за токеном; чтобы остановить его, нажмите ■ в поле "
        "ввода."),
    "no_text": Text("_(no text)_", "_(нет текста)_"),
    "kept_message": Text("Your message", "Ваше сообщение"),
    "persona": Text("🎭 Persona (system prompt)", "🎭 Роль (системный промпт)"),
    "persona.box": Text("The mirror's instructions, sent before the conversation",
                        "Указания зеркалу, которые отправляются перед разговором"),
    # a reply's footer
    "dropped_turns": Text(
        "The {count} oldest message did not fit the context window and was left out of the prompt for this reply "
        "(it is still shown here).|"
        "The {count} oldest messages did not fit the context window and were left out of the prompt for this reply "
        "(they are still shown here).",
        "{count} самое раннее сообщение не поместилось в контекстное окно, и в запрос для этого ответа его не "
        "включили (на экране оно осталось).|"
        "{count} самых ранних сообщения не поместились в контекстное окно, и в запрос для этого ответа их не "
        "включили (на экране они остались).|"
        "{count} самых ранних сообщений не поместились в контекстное окно, и в запрос для этого ответа их не "
        "включили (на экране они остались)."),
    "details": Text("Details: seed and parameters", "Подробности: зерно и параметры"),
    "mean_sampler_prob": Text("Mean probability of the chosen tokens under the sampler: {value}",
                              "Средняя вероятность выбранных токенов в распределении сэмплера: {value}"),
    "inspect": Text("🔍 Inspect tokens", "🔍 Разобрать токены"),
    "inspect.help": Text("Open this reply in the Token Inspector", "Открыть этот ответ в Инспекторе токенов"),
    "look_inside": Text("🔬 Look inside", "🔬 Заглянуть внутрь"),
    "look_inside.help": Text("See this reply's tokens, what each layer predicted and where each head looked",
                             "Посмотреть токены этого ответа, что предсказывал каждый слой и куда смотрела каждая "
                             "голова внимания"),
    "inside_label": Text("the reply “{text}”", "ответ «{text}»"),
    "rate": Text("Rate this reply", "Оценить ответ"),
    "comment": Text("Comment (optional)", "Комментарий (необязательно)"),
    "send_feedback": Text("Send feedback", "Отправить отзыв"),
    "feedback.pick": Text("Pick thumbs up or down first.", "Сначала выберите: палец вверх или вниз."),
    "feedback.no_store": Text("Saving is unavailable; your comment is still here.",
                              "Сохранение недоступно; ваш комментарий остался на месте."),
    "feedback.saved": Text("Thank you: feedback saved.", "Спасибо: отзыв сохранён."),
    "feedback.failed": Text("Feedback not saved: {error}. Your comment is kept.",
                            "Отзыв не сохранён: {error}. Ваш комментарий остался на месте."),
    "reply_failed": Text("{error} The conversation is kept; press Regenerate to try again.",
                         "{error} Разговор сохранён; нажмите «Написать заново», чтобы попробовать ещё раз."),
    # actions under the conversation
    "regenerate": Text("🔄 Regenerate", "🔄 Написать заново"),
    "regenerate.help": Text("Drop the last reply and write a new one (a new seed unless the seed is fixed)",
                            "Убрать последний ответ и написать новый (с новым зерном, если зерно не "
                            "зафиксировано)"),
    "edit_last": Text("✏️ Edit last message", "✏️ Изменить последнее сообщение"),
    "clear": Text("🧹 Clear chat", "🧹 Очистить чат"),
    "download.markdown": Text("⬇️ Markdown", "⬇️ Markdown"),
    "download.json": Text("⬇️ JSON", "⬇️ JSON"),
    "download.json.help": Text("Model, parameters, seeds and per-token probabilities",
                               "Модель, параметры, зёрна и вероятности каждого токена"),
    "edit.box": Text("Edit your last message and send it again",
                     "Измените последнее сообщение и отправьте его снова"),
    "edit.send": Text("Send edited message", "Отправить изменённое сообщение"),
    "edit.nothing": Text("there is no user message to edit", "нет вашего сообщения, которое можно изменить"),
    # import
    "import": Text("📂 Import a conversation", "📂 Загрузить разговор"),
    "import.file": Text("A JSON file exported from this page", "JSON-файл, выгруженный с этой страницы"),
    "import.restore": Text("Restore conversation", "Восстановить разговор"),
    "import.choose": Text("Choose a conversation JSON file first.", "Сначала выберите JSON-файл с разговором."),
    "import.done": Text("Conversation restored from {name}.", "Разговор восстановлен из файла {name}."),
    "import.failed": Text("Could not import {name}: {error}", "Не удалось загрузить {name}: {error}"),
    # what an import says is wrong with a file (mirror.services.conversation)
    "import.not_json": Text("this file is not valid JSON (line {line}, column {column})",
                            "этот файл не читается как JSON (строка {line}, столбец {column})"),
    "import.not_text": Text("this file is not valid JSON (it is not UTF-8 text)",
                            "этот файл не читается как JSON (это не текст в кодировке UTF-8)"),
    "import.not_export": Text("this JSON is not a Magic Mirror conversation export",
                              "этот JSON — не выгрузка разговора из «Волшебного зеркала»"),
    "import.version": Text("unsupported conversation export version {version}",
                           "версия выгрузки разговора {version} не поддерживается"),
    "import.role": Text("a turn has role {role}; only user and assistant are allowed",
                        "у одной из реплик роль {role}; допустимы только роли user (пользователь) и assistant "
                        "(ассистент)"),
    "import.damaged": Text("the conversation export is incomplete or damaged ({error})",
                           "выгрузка разговора неполная или повреждена ({error})"),
    # checks on a message (mirror.services.conversation)
    "message.empty": Text("Type a message first: an empty message has nothing to reflect.",
                          "Сначала напишите сообщение: в пустом зеркалу нечего отразить."),
    "message.too_long": Text(
        "Your message has {count} character; the limit is {limit}. Shorten it and send it again (it is kept below "
        "so nothing is lost).|"
        "Your message has {count} characters; the limit is {limit}. Shorten it and send it again (it is kept below "
        "so nothing is lost).",
        "В вашем сообщении {count} символ, а можно не больше {limit}. Сократите его и отправьте снова (оно "
        "сохранено ниже, так что ничего не потеряется).|"
        "В вашем сообщении {count} символа, а можно не больше {limit}. Сократите его и отправьте снова (оно "
        "сохранено ниже, так что ничего не потеряется).|"
        "В вашем сообщении {count} символов, а можно не больше {limit}. Сократите его и отправьте снова (оно "
        "сохранено ниже, так что ничего не потеряется)."),
    "prompt_empty": Text("the prompt is empty", "запрос пуст"),
    # the Markdown export (mirror.services.conversation)
    "md.title": Text("# Magic Mirror conversation", "# Разговор с Волшебным зеркалом"),
    "md.model": Text("Model: `{model}`", "Модель: `{model}`"),
    "md.system": Text("**System:** {text}", "**Система:** {text}"),
    "md.you": Text("**You:** {text}", "**Вы:** {text}"),
    "md.mirror": Text("**Mirror:** {text}", "**Зеркало:** {text}"),
    "md.reply": Text("<sub>{tokens}, {speed} tokens/s, seed {seed}, {params}{stopped}</sub>",
                     "<sub>{tokens}, {speed} токенов/с, зерно {seed}, {params}{stopped}</sub>"),
    "md.stopped": Text(" (stopped)", " (остановлен)"),
    # compose
    "compose.intro": Text("Let the mirror write something, polish it by hand, and keep it.",
                          "Пусть зеркало что-нибудь напишет, а вы доработаете текст вручную и сохраните его."),
    "compose.prompt": Text("What should the mirror write?", "Что должно написать зеркало?"),
    "compose.example": Text("Write a short poem about a mirror at midnight.",
                            "Напиши короткое стихотворение о зеркале в полночь."),
    "compose.write": Text("✨ Write it", "✨ Написать"),
    "compose.editing_saved": Text("Editing saved item", "Правка сохранённого текста"),
    "compose.edit_before": Text("Edit before saving", "Правка перед сохранением"),
    "compose.title": Text("Title", "Название"),
    "compose.written_by": Text("Written by {model} with seed {seed}.", "Написано моделью {model} с зерном {seed}."),
    "compose.save": Text("💾 Save", "💾 Сохранить"),
    "compose.no_store": Text("Saving is unavailable; your text is still in the editor.",
                             "Сохранение недоступно; ваш текст остался в редакторе."),
    "compose.updated": Text("Updated “{title}”.", "Текст «{title}» обновлён."),
    "compose.saved": Text("Saved “{title}”.", "Текст «{title}» сохранён."),
    "compose.failed": Text("Not saved: {error}. Your text is still in the editor.",
                           "Не сохранено: {error}. Ваш текст остался в редакторе."),
    # saved work
    "saved.none": Text("Nothing saved yet: write something in Compose and save it.",
                       "Пока ничего не сохранено: напишите что-нибудь в «Сочинении» и сохраните."),
    "saved.private": Text(
        "Only you see these: they belong to this browser (its link keeps them; anyone you give the whole link to "
        "could see them too).",
        "Эти тексты видите только вы: они принадлежат этому браузеру (их хранит его ссылка; тот, кому вы дадите "
        "ссылку целиком, тоже сможет их увидеть)."),
    "saved.csv": Text("⬇️ Export mine as CSV", "⬇️ Выгрузить мои тексты в CSV"),
    "saved.item": Text("{title} · {when} UTC", "{title} · {when} UTC"),
    "saved.meta": Text("Model {model} · seed {seed} · prompt: {prompt}",
                       "Модель {model} · зерно {seed} · запрос: {prompt}"),
    "saved.open": Text("Open in Compose", "Открыть в «Сочинении»"),
    "saved.delete": Text("🗑️ Delete", "🗑️ Удалить"),
    "saved.deleted": Text("Deleted.", "Удалено."),
    # streaming (mirror.ui.streaming): the queue, a silent reply, the summary line under a reply
    "queue": Text("⏳ _Waiting for the model: place {place} in the queue ({writing})._",
                  "⏳ _Ждём модель: место {place} в очереди ({writing})._"),
    "queue.writing": Text("{count} reply is being written|{count} replies are being written",
                          "пишется {count} ответ|пишутся {count} ответа|пишутся {count} ответов"),
    "silent": Text("_(the mirror stayed silent)_", "_(зеркало промолчало)_"),
    "summary.tokens": Text("{count} token|{count} tokens", "{count} токен|{count} токена|{count} токенов"),
    "summary.speed": Text("{speed} tokens/s", "{speed} токенов/с"),
    "summary.first_token": Text("first token after {seconds} s", "первый токен через {seconds} с"),
    "summary.queued": Text(" ({seconds} s of it waiting in the queue)", " (из них {seconds} с — ожидание в очереди)"),
    "summary.seed": Text("seed {seed}", "зерно {seed}"),
    "summary.stopped": Text("⏹ stopped", "⏹ остановлен"),
    "summary.dropped_bytes": Text(
        "{count} byte of an unfinished character dropped|{count} bytes of an unfinished character dropped",
        "отброшен {count} байт недописанного символа|отброшено {count} байта недописанного символа|"
        "отброшено {count} байт недописанного символа"),
    # how a reply ended (values of FinishReason)
    "finish.eos": Text("finished", "закончен"),
    "finish.stop_string": Text("finished", "закончен"),
    "finish.length": Text("reached the token limit", "достиг предела токенов"),
    "finish.context": Text("filled the context window", "заполнил контекстное окно"),
    "finish.cancelled": Text("stopped", "остановлен"),
    "finish.interrupted": Text("stopped", "остановлен"),
    "finish.error": Text("⚠ server error", "⚠ ошибка сервера"),
    "finish.running": Text("running", "пишется"),
    # the inference server (mirror.services.remote): what goes wrong, and what it can show
    "remote.bad_url": Text("The backend URL must start with http:// or https://, got {url}.",
                           "Адрес сервера должен начинаться с http:// или https://, а указан {url}."),
    "remote.refused_key": Text("The server at {where} refused the API key (HTTP {code}).",
                               "Сервер {where} не принял ключ API (HTTP {code})."),
    "remote.http_error": Text("The server at {where} answered HTTP {code}.",
                              "Сервер {where} ответил кодом HTTP {code}."),
    "remote.http_error_detail": Text("The server at {where} answered HTTP {code}: {detail}",
                                     "Сервер {where} ответил кодом HTTP {code}: {detail}"),
    "remote.timeout": Text("The server at {where} did not answer within {seconds} s.",
                           "Сервер {where} не ответил за {seconds} с."),
    "remote.unreachable": Text("Cannot reach the inference server at {where} ({reason}).",
                               "Не удаётся связаться с сервером инференса {where} ({reason})."),
    "remote.no_model": Text("The server at {where} serves no model.", "Сервер {where} не предлагает ни одной модели."),
    "remote.unknown_model": Text("The server does not serve '{model}'; it serves {served}.",
                                 "Сервер не предлагает модель «{model}»; у него есть: {served}."),
    "remote.stalled": Text("The server stopped answering for {seconds} s in the middle of the reply.",
                           "Посреди ответа сервер замолчал на {seconds} с."),
    "remote.broke": Text("The connection to the server broke in the middle of the reply ({kind}).",
                         "Связь с сервером оборвалась посреди ответа ({kind})."),
    "remote.text_kept": Text(" The text so far is kept.", " Уже написанный текст сохранён."),
    "remote.note": Text(
        "Replies come from the {kind} server at {where}. It reports the raw probabilities of the tokens it writes "
        "and their top alternatives, but not the sampler's stages, so the Parameter Explorer and the Token "
        "Inspector show less than with a local model.",
        "Ответы приходят с сервера {kind} по адресу {where}. Он сообщает сырые вероятности токенов, которые пишет, "
        "и самые вероятные альтернативы, но не этапы сэмплера, поэтому Исследователь параметров и Инспектор "
        "токенов показывают меньше, чем с локальной моделью."),
    "remote.note_missing": Text(" Not supported by this server: {names}.", " Этот сервер не поддерживает: {names}."),
    # what the Token Inspector and the Parameter Explorer show with a server (mirror.ui.remote_views)
    "remote.inspector_intro": Text(
        "The model runs on an inference server ({where}). It reports the probability of each token it writes and "
        "its top alternatives, so replies opened from the Chat can be inspected here; scoring any pasted text needs "
        "the model itself and is not available with a server.",
        "Модель работает на сервере инференса ({where}). Он сообщает вероятность каждого токена, который пишет, и "
        "самые вероятные альтернативы, поэтому ответы, открытые из Чата, можно разобрать здесь; оценить любой "
        "вставленный текст может только сама модель, а с сервером это недоступно."),
    "remote.open_from_chat": Text("Open a reply with its 🔍 button on the Chat page.",
                                  "Откройте ответ кнопкой 🔍 под ним на странице «Чат»."),
    "remote.mean_prob": Text("Mean probability of the written tokens (raw model)",
                             "Средняя вероятность написанных токенов (сырая модель)"),
    "remote.not_available": Text(
        "Not available from a server: the sampler's own probabilities, the entropy over the whole vocabulary, and "
        "ranks beyond the alternatives it returns.",
        "С сервера недоступны: вероятности после сэмплера, энтропия по всему словарю и ранги за пределами "
        "альтернатив, которые он возвращает."),
    "remote.col.position": Text("position", "позиция"),
    "remote.col.token": Text("token", "токен"),
    "remote.col.raw_prob": Text("probability (raw)", "вероятность (сырая)"),
    "remote.col.rank": Text("rank", "ранг"),
    "remote.col.alternatives": Text("alternatives", "альтернативы"),
    "remote.explorer_intro": Text(
        "The Parameter Explorer shows how each sampler stage reshapes the model's full next-token distribution. An "
        "inference server does not expose that distribution nor its sampler's stages, so here you see only what it "
        "reports: its top raw alternatives for the next token. Run the mirror with a local model for the full "
        "explorer.",
        "Исследователь параметров показывает, как каждый этап сэмплера меняет полное распределение вероятностей "
        "следующего токена. Сервер инференса не открывает ни это распределение, ни этапы своего сэмплера, поэтому "
        "здесь видно только то, что он сообщает: самые вероятные сырые альтернативы для следующего токена. Чтобы "
        "получить исследователь целиком, запустите зеркало с локальной моделью."),
    "remote.prompt": Text("Prompt", "Запрос"),
    "remote.prompt_example": Text("The capital of France is", "Столица Франции —"),
    "remote.show_top": Text("Show the server's top alternatives", "Показать лучшие альтернативы сервера"),
    "remote.type_prompt": Text("Type a prompt first.", "Сначала напишите запрос."),
    "remote.no_alternatives": Text("The server returned no alternatives (it may not support log-probabilities).",
                                   "Сервер не вернул альтернатив (возможно, он не умеет сообщать "
                                   "логарифмы вероятностей)."),
}
