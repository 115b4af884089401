"""Texts of the classroom area (keys read as `classroom.<key>`): the Class, Projector and Teacher pages,
the class's game "Guess the next word" and the teacher's passcode."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
    # the Class page (students)
    "class.joined": Text("Class **{code}** · you are **{name}**. Change your name by joining again.",
                         "Класс **{code}** · вы — **{name}**. Чтобы сменить имя, присоединитесь ещё раз."),
    "class.join_again": Text("Join another class or change your name",
                             "Присоединиться к другому классу или сменить имя"),
    "class.code": Text("Class code", "Код класса"),
    "class.code_help": Text("The four letters your teacher shows.", "Четыре буквы, которые показывает учитель."),
    "class.name": Text("Your name", "Ваше имя"),
    "class.join": Text("Join", "Присоединиться"),
    "class.waiting": Text("Waiting for your teacher to start a round…", "Ждём, когда учитель начнёт раунд…"),
    "class.top_word": Text("The mirror's most likely next word: **{word}** ({probability}).",
                           "Самое вероятное следующее слово по мнению зеркала: **{word}** ({probability})."),
    "class.you_guessed": Text("You guessed **{guess}**.", "Вы назвали **{guess}**."),
    "class.you_guessed_prob": Text("You guessed **{guess}**: the model gives it {probability}.",
                                   "Вы назвали **{guess}**: модель даёт этому слову {probability}."),
    "class.wait_next": Text("Wait for the next round…", "Ждите следующего раунда…"),
    "class.closed": Text("This round was closed without a reveal. Wait for the next one…",
                         "Этот раунд закрыли, не показав ответ. Ждите следующего…"),
    "class.your_guess": Text("Your guess: **{guess}**. Wait for the reveal on the projector.",
                             "Ваша догадка: **{guess}**. Ждите ответа на проекторе."),
    "class.guess": Text("Your guess: the next word", "Ваша догадка: следующее слово"),
    "class.send": Text("Send my guess", "Отправить догадку"),
    "class.vote_prompt": Text("Which token should the mirror write next? One vote each.",
                              "Какой токен зеркалу написать дальше? У каждого один голос."),
    "class.your_vote": Text("Your vote: **{token}**. Wait for the reveal on the projector.",
                            "Ваш голос: **{token}**. Ждите итогов на проекторе."),
    "class.class_chose": Text("The class chose **{token}**: the sampler gives it {probability}.",
                              "Класс выбрал **{token}**: сэмплер даёт этому токену {probability}."),
    "class.you_voted_prob": Text("You voted **{token}**: the sampler gives it {probability}.",
                                 "Вы голосовали за **{token}**: сэмплер даёт этому токену {probability}."),
    "class.draw_prompt": Text(
        "Your device draws one token from the mirror's real distribution, with a seed of its own.",
        "Ваше устройство вытянет один токен из настоящего распределения зеркала со своим зерном."),
    "class.draw": Text("🎲 Draw my token", "🎲 Вытянуть токен"),
    "class.you_drew": Text("You drew **{token}**: the sampler gives it {probability} (seed {seed}).",
                           "Вы вытянули **{token}**: сэмплер даёт этому токену {probability} (зерно {seed})."),
    "class.watch_projector": Text("Watch the projector: the class's draws build the distribution.",
                                  "Смотрите на проектор: из вытянутых классом токенов складывается распределение."),
    "class.draws_over": Text("The draws of this round are over. Wait for the next one…",
                             "В этом раунде тянуть уже нельзя. Ждите следующего…"),
    # the Projector page (the teacher's big screen)
    "projector.teachers_only": Text(
        "The Projector page is for the teacher: sign in on the Teacher page first. Students: your page is Class.",
        "Страница «Проектор» — для учителя: сначала войдите на странице «Учитель». Ученикам нужна страница "
        "«Класс»."),
    "projector.sign_in_link": Text("Sign in as the teacher", "Войти как учитель"),
    "projector.local_only": Text(
        "The game asks the local model for its probabilities; with a remote inference server it is not available.",
        "Игра узнаёт вероятности у локальной модели; с удалённым сервером инференса она недоступна."),
    "projector.open_new": Text("Open a new class", "Открыть новый класс"),
    "projector.open": Text("Open a class", "Открыть класс"),
    "projector.open_hint": Text(
        "Open a class: its four-letter code appears here, big, for the students to type on their Class page.",
        "Откройте класс: здесь крупно появится его код из четырёх букв, и ученики введут его на своей странице "
        "«Класс»."),
    "projector.join_address": Text("### Open **{address}**", "### Откройте **{address}**"),
    "projector.qr_alt": Text("QR code of the join link {link}", "QR-код ссылки для входа {link}"),
    "projector.join_hint": Text(
        "Or scan the QR code with a phone's camera: it opens the Class page with the code filled in, and you "
        "type only your name. Phones must be on the same network as this computer.",
        "Или наведите камеру телефона на QR-код: откроется страница «Класс» с уже вписанным кодом, останется "
        "ввести имя. Телефон должен быть в той же сети, что и этот компьютер."),
    "projector.code_heading": Text("# Class code: `{code}`", "# Код класса: `{code}`"),
    "projector.example": Text("An example prompt", "Пример запроса"),
    "projector.own_prompt": Text("(type your own below)", "(введите свой ниже)"),
    "projector.prompt": Text("Prompt", "Запрос"),
    "projector.prompt_help.guess": Text("The class guesses the word the mirror writes after it.",
                                        "Класс угадывает слово, которое зеркало напишет после него."),
    "projector.prompt_help.vote": Text(
        "The class sees the sampler's top candidates for the token after it, and votes for one.",
        "Класс видит главных кандидатов сэмплера на следующий токен и голосует за один из них."),
    "projector.prompt_help.draw": Text(
        "Each student draws the token after it from the model's distribution under these settings.",
        "Каждый ученик вытягивает следующий токен из распределения модели при этих настройках."),
    "projector.join_again": Text("Class code {code}: how to join (the address and the QR code)",
                                 "Код класса {code}: как присоединиться (адрес и QR-код)"),
    "projector.back": Text("Teacher page", "Страница учителя"),
    "projector.game": Text("Game", "Игра"),
    "projector.game_help": Text(
        "Guess the next word: the class guesses, the model's probabilities are revealed. Be the sampler: the "
        "class votes for the next token among the sampler's candidates. The class is the sampler: every "
        "student draws a token, and the class's draws build the distribution.",
        "«Угадай слово»: класс угадывает, затем показываются вероятности модели. «Будь сэмплером»: класс "
        "голосует за следующий токен среди кандидатов сэмплера. «Класс — это сэмплер»: каждый ученик "
        "вытягивает токен, и из вытянутых токенов складывается распределение."),
    "projector.settings": Text("🎛️ The round's sampler settings", "🎛️ Настройки сэмплера для раунда"),
    "projector.settings_note": Text(
        "The same sliders as in the mirror's sidebar. A round keeps the settings it started with; the "
        "repetition penalty ({penalty}) and no-repeat n-gram ({ngram}) come from the sidebar too.",
        "Те же ползунки, что и на боковой панели зеркала. Раунд сохраняет настройки, с которыми начался; "
        "штраф за повторы ({penalty}) и запрет повторов n-грамм ({ngram}) тоже берутся с боковой панели."),
    "projector.votes": Text("Votes", "Голоса"),
    "projector.draws": Text("Draws", "Вытянуто"),
    "projector.candidates": Text("**The sampler's candidates** (probabilities hidden until the reveal):",
                                 "**Кандидаты сэмплера** (вероятности скрыты до показа итогов):"),
    "projector.no_votes": Text("Nobody voted: start the next round.", "Никто не проголосовал: начните новый раунд."),
    "projector.class_chose": Text(
        "The class chose **{token}** ({votes} votes); the sampler gives it {probability}.",
        "Класс выбрал **{token}** (голосов: {votes}); сэмплер даёт этому токену {probability}."),
    "projector.goes_on": Text("The class's choice is written, and the mirror goes on:",
                              "Выбор класса записан, и зеркало пишет дальше:"),
    "projector.next_from_choice": Text("➡️ Next round from the class's choice",
                                       "➡️ Следующий раунд после выбора класса"),
    "projector.draw_settings": Text(
        "Temperature {temperature} · top-k {top_k} · top-p {top_p}: the sampler may draw {support} tokens.",
        "Температура {temperature} · top-k {top_k} · top-p {top_p}: сэмплер может вытянуть {support} токенов."),
    "projector.distance": Text("Distance between the class and the sampler", "Расстояние между классом и сэмплером"),
    "projector.distance_help": Text(
        "Total variation distance: half the sum, over every token, of the gap between the class's share and the "
        "sampler's probability. 0% means the class drew exactly as the sampler expects; it shrinks as more "
        "students draw.",
        "Расстояние полной вариации: половина суммы по всем токенам разницы между долей класса и вероятностью "
        "сэмплера. 0% — класс вытянул ровно так, как ожидает сэмплер; чем больше учеников тянут, тем оно меньше."),
    "projector.stop_draws": Text("⏹️ Stop the draws", "⏹️ Закончить"),
    "projector.draw_again": Text("🔁 Same prompt, new settings", "🔁 Тот же запрос, новые настройки"),
    "projector.draw_again_help": Text(
        "Change the temperature (or top-k, top-p) above, then start a new round on the same prompt: the class "
        "sees the shape change.",
        "Измените температуру (или top-k, top-p) выше и начните новый раунд с тем же запросом: класс увидит, "
        "как меняется форма распределения."),
    "projector.start": Text("▶️ Start a round", "▶️ Начать раунд"),
    "projector.joined": Text(
        "{count} student has joined. Start a round when the class is ready."
        "|{count} students have joined. Start a round when the class is ready.",
        "В классе {count} ученик. Начните раунд, когда класс будет готов."
        "|В классе {count} ученика. Начните раунд, когда класс будет готов."
        "|В классе {count} учеников. Начните раунд, когда класс будет готов."),
    "projector.guesses": Text("Guesses", "Догадки"),
    "projector.guesses_value": Text("{count} of {members}", "{count} из {members}"),
    "projector.reveal": Text("🎉 Reveal", "🎉 Показать ответ"),
    "projector.asking": Text("Asking the mirror…", "Спрашиваем зеркало…"),
    "projector.continue": Text("➡️ Continue: the mirror writes its next token",
                               "➡️ Дальше: зеркало пишет следующий токен"),
    "projector.wrote": Text("The mirror wrote “{piece}”. A new round has started.",
                            "Зеркало написало «{piece}». Начался новый раунд."),
    "projector.ended": Text("The mirror ended the text here. Start a new round with another prompt.",
                            "На этом зеркало закончило текст. Начните новый раунд с другим запросом."),
    # the reveal
    "chart.share": Text("share of guesses / model probability", "доля догадок / вероятность модели"),
    "chart.share_sampler": Text("share of the class / the sampler's probability",
                                "доля класса / вероятность сэмплера"),
    "chart.class": Text("the class", "класс"),
    "chart.model": Text("the model", "модель"),
    "chart.word": Text("word", "слово"),
    "chart.who": Text("who", "кто"),
    "chart.share_tooltip": Text("share", "доля"),
    "chart.class_votes": Text("the class's votes", "голоса класса"),
    "chart.class_draws": Text("the class's draws", "вытянуто классом"),
    "chart.sampler": Text("the sampler", "сэмплер"),
    "chart.other": Text("(any other token)", "(любой другой токен)"),
    # the games
    "game.guess": Text("🔮 Guess the next word", "🔮 Угадай слово"),
    "game.vote": Text("🗳️ Be the sampler", "🗳️ Будь сэмплером"),
    "game.draw": Text("🎲 The class is the sampler", "🎲 Класс — это сэмплер"),
    "result.top": Text("The mirror's top choice: **{word}** ({probability}). Guessed by: {who}.",
                       "Главный выбор зеркала: **{word}** ({probability}). Угадали: {who}."),
    "result.nobody": Text("nobody", "никто"),
    "result.score_top": Text(
        "Class score: on average the model gives your guesses **{score}**. Your favourite, **{favourite}**, "
        "is the model's top choice too.",
        "Оценка класса: в среднем модель даёт вашим догадкам **{score}**. Самая частая догадка класса — "
        "**{favourite}** — совпадает с главным выбором модели."),
    "result.score_not_top": Text(
        "Class score: on average the model gives your guesses **{score}**. Your favourite, **{favourite}**, "
        "is not the model's top choice.",
        "Оценка класса: в среднем модель даёт вашим догадкам **{score}**. Самая частая догадка класса — "
        "**{favourite}** — не совпадает с главным выбором модели."),
    # example prompts (the class guesses the next word)
    "example.capital": Text("The capital of France is", "Столица Франции —"),
    "example.once_upon": Text("Once upon a time there was a", "Давным-давно жил-был"),
    "example.animal": Text("My favourite animal is the", "Моё любимое животное —"),
    "example.opposite": Text("The opposite of hot is", "Антоним слова «горячий» —"),
    "example.two_plus_two": Text("Two plus two equals", "Два плюс два равно"),
    # what the class refuses (services.classroom)
    "error.no_free_code": Text("Could not find a free class code; try again.",
                               "Не удалось найти свободный код класса; попробуйте ещё раз."),
    "error.no_code": Text("Type the class code your teacher shows (four letters).",
                          "Введите код класса, который показывает учитель (четыре буквы)."),
    "error.unknown_code": Text("No class has the code {code}: check it with your teacher.",
                               "Класса с кодом {code} нет: уточните код у учителя."),
    "error.ended": Text(
        "The class {code} has ended (codes last {count} hour): ask your teacher for today's code."
        "|The class {code} has ended (codes last {count} hours): ask your teacher for today's code.",
        "Код класса {code} больше не действует (коды действуют {count} час): спросите у учителя сегодняшний код."
        "|Код класса {code} больше не действует (коды действуют {count} часа): спросите у учителя сегодняшний код."
        "|Код класса {code} больше не действует (коды действуют {count} часов): спросите у учителя сегодняшний "
        "код."),
    "error.no_name": Text("Type your name, so the class can see who guessed what.",
                          "Введите своё имя, чтобы класс видел, кто что предположил."),
    "error.long_name": Text(
        "Your name has {count} character; at most {most}.|Your name has {count} characters; at most {most}.",
        "В имени {count} символ, а можно не больше {most}.|В имени {count} символа, а можно не больше {most}."
        "|В имени {count} символов, а можно не больше {most}."),
    "error.no_prompt": Text("Type a prompt first: the class guesses the word that comes after it.",
                            "Сначала введите запрос: класс угадывает слово, которое идёт после него."),
    "error.long_prompt": Text(
        "The prompt has {count} character; at most {most}.|The prompt has {count} characters; at most {most}.",
        "В запросе {count} символ, а можно не больше {most}.|В запросе {count} символа, а можно не больше {most}."
        "|В запросе {count} символов, а можно не больше {most}."),
    "error.no_guess": Text("Type the word you expect next.", "Введите слово, которое, по-вашему, будет следующим."),
    "error.long_guess": Text(
        "Your guess has {count} character; one word of at most {most}, please."
        "|Your guess has {count} characters; one word of at most {most}, please.",
        "В догадке {count} символ, а можно не больше {most}: одно слово, пожалуйста."
        "|В догадке {count} символа, а можно не больше {most}: одно слово, пожалуйста."
        "|В догадке {count} символов, а можно не больше {most}: одно слово, пожалуйста."),
    "error.markup_name": Text("A name cannot hold the characters {forbidden}: type it as plain text.",
                              "В имени не может быть символов {forbidden}: введите его простым текстом."),
    "error.name_taken": Text("Somebody in this class is called {name} already: add an initial or a number.",
                             "В классе уже есть {name}: добавьте к имени букву фамилии или цифру."),
    "error.other_game": Text("This round plays another game: reload the page to see it.",
                             "В этом раунде идёт другая игра: обновите страницу, чтобы её увидеть."),
    "error.one_candidate": Text(
        "With these settings the sampler has only one token to choose from, so there is nothing to vote on: "
        "raise the temperature, top-k or top-p.",
        "При таких настройках у сэмплера остаётся только один токен, и голосовать не за что: увеличьте "
        "температуру, top-k или top-p."),
    "error.not_a_candidate": Text("That token is not one of this round's candidates.",
                                  "Этого токена нет среди вариантов раунда."),
    "error.reveal_first": Text("Reveal the votes first.", "Сначала покажите итоги голосования."),
    "error.not_member": Text("Join the class {code} first (your name and its code).",
                             "Сначала присоединитесь к классу {code} (ваше имя и его код)."),
    "error.no_round_student": Text("There is no round yet: wait for your teacher to start one.",
                                   "Раунда пока нет: подождите, пока учитель его начнёт."),
    "error.guessed_already": Text("You have guessed in this round already: one guess each.",
                                  "Вы уже отвечали в этом раунде: у каждого одна догадка."),
    "error.too_late": Text("Too late: this round has been revealed. Wait for the next one.",
                           "Поздно: ответ этого раунда уже показан. Ждите следующего."),
    "error.no_round_teacher": Text("There is no round yet: type a prompt and start one.",
                                   "Раунда пока нет: введите запрос и начните раунд."),
    # the teacher's passcode (services.teacher)
    "passcode.too_many": Text(
        "Too many wrong passcodes: wait {count} minute, then try again."
        "|Too many wrong passcodes: wait {count} minutes, then try again.",
        "Слишком много неверных паролей: подождите {count} минуту и попробуйте снова."
        "|Слишком много неверных паролей: подождите {count} минуты и попробуйте снова."
        "|Слишком много неверных паролей: подождите {count} минут и попробуйте снова."),
    "passcode.wrong": Text("That is not the teacher passcode.", "Это неверный пароль учителя."),
    "passcode.tries_left": Text(
        " {count} more try before a pause.| {count} more tries before a pause.",
        " До паузы осталась {count} попытка.| До паузы осталось {count} попытки.| До паузы осталось {count} попыток."),
    # the Teacher page
    "teacher.log_in": Text("Log in", "Войти через учётную запись"),
    "teacher.log_in_help": Text("Teachers whose e-mail is in {env} see this page after logging in.",
                                "Учителя, чей адрес электронной почты указан в {env}, видят эту страницу после "
                                "входа."),
    "teacher.no_passcode": Text(
        "No teacher passcode is set on this server. Whoever runs it sets `{env}` in `.streamlit/secrets.toml` (or "
        "the environment); then this page asks for it. With Streamlit's login set up, teachers' e-mails listed in "
        "`{teachers}` need no passcode.",
        "На этом сервере не задан пароль учителя. Тот, кто запускает сервер, задаёт `{env}` в "
        "`.streamlit/secrets.toml` (или в переменных окружения); тогда эта страница будет его спрашивать. Если "
        "настроен вход через Streamlit, учителям, чьи адреса указаны в `{teachers}`, пароль не нужен."),
    "teacher.one_time": Text(
        "This server made its own teacher passcode when it started: it is printed in the terminal where the "
        "server was started (`make run` or `streamlit run`), and it changes at every start. To choose your own, "
        "set `{env}` in `.streamlit/secrets.toml` or the environment.",
        "Этот сервер при запуске сам придумал пароль учителя: он напечатан в терминале, где сервер был запущен "
        "(`make run` или `streamlit run`), и меняется при каждом запуске. Чтобы задать свой, укажите `{env}` в "
        "`.streamlit/secrets.toml` или в переменных окружения."),
    "teacher.intro": Text(
        "Teachers see everybody's saved work and feedback here. Students: this page is not for you; your own "
        "saved texts are under Chat → Saved.",
        "Здесь учитель видит сохранённые работы и отзывы всех учеников. Ученикам эта страница не нужна: свои "
        "сохранённые тексты — на странице «Чат», в разделе «Сохранённое»."),
    "teacher.passcode": Text("Teacher passcode", "Пароль учителя"),
    "teacher.sign_in": Text("Sign in", "Войти"),
    "teacher.cannot_check": Text("Cannot check the passcode now: {error}",
                                 "Сейчас не получается проверить пароль: {error}"),
    "teacher.tick_first": Text("Tick the box first: nothing was deleted.",
                               "Сначала поставьте галочку: ничего не удалено."),
    "teacher.deleted": Text("The saved texts and feedback of {scope} are deleted.",
                            "Сохранённые тексты и отзывы {scope} удалены."),
    "teacher.not_deleted": Text("Nothing deleted: {error}", "Ничего не удалено: {error}"),
    "teacher.sign_out": Text("Sign out", "Выйти"),
    "teacher.class": Text("Class", "Класс"),
    "teacher.option.class": Text("Class {code}", "Класс {code}"),
    "teacher.option.all": Text("Every class (and from before classes)", "Все классы (и работы до появления классов)"),
    # {scope} in "the saved texts and feedback of {scope}": Russian needs the genitive
    "teacher.scope.class": Text("class {code}", "класса {code}"),
    "teacher.scope.all": Text("every class (and from before classes)", "всех классов (и работы до появления классов)"),
    "teacher.tab.saved": Text("📚 Saved work ({count})", "📚 Сохранённые работы ({count})"),
    "teacher.tab.feedback": Text("👍 Feedback ({count})", "👍 Отзывы ({count})"),
    "teacher.tab.clear": Text("🧹 Clear", "🧹 Очистка"),
    "teacher.tab.rounds": Text("🎲 Rounds", "🎲 Раунды"),
    # a class's record of its games (the Teacher page's Rounds tab)
    "record.pick_class": Text("Pick a class above to see the rounds its students played.",
                              "Выберите класс выше, чтобы увидеть раунды, которые сыграли его ученики."),
    "record.csv": Text("⬇️ The class's rounds as CSV", "⬇️ Раунды класса в CSV"),
    "record.confirm": Text("Yes, delete every round of class {code} and its students' answers",
                           "Да, удалить все раунды класса {code} и ответы учеников"),
    "record.clear": Text("Delete the rounds", "Удалить раунды"),
    "record.cleared": Text("Class {code}: {count} rounds deleted. The class and its students stay.",
                           "Класс {code}: удалено раундов — {count}. Класс и его ученики остались."),
    "record.column.round": Text("round", "раунд"),
    "record.column.game": Text("game", "игра"),
    "record.column.prompt": Text("prompt", "запрос"),
    "record.column.student": Text("student", "ученик"),
    "record.column.answer": Text("answer", "ответ"),
    "record.column.answer_probability": Text("its probability", "его вероятность"),
    "record.column.model_choice": Text("model's choice", "выбор модели"),
    "record.column.class_choice": Text("class's choice", "выбор класса"),
    "record.column.round_score": Text("round score", "оценка раунда"),
    "teacher.saved_csv": Text("⬇️ This saved work as CSV", "⬇️ Эти работы в CSV"),
    "teacher.feedback_csv": Text("⬇️ This feedback as CSV", "⬇️ Эти отзывы в CSV"),
    "teacher.column.who": Text("who", "кто"),
    "teacher.column.class": Text("class", "класс"),
    "teacher.column.title": Text("title", "название"),
    "teacher.column.saved": Text("saved", "сохранено"),
    "teacher.column.text": Text("text", "текст"),
    "teacher.column.model": Text("model", "модель"),
    "teacher.column.score": Text("score", "оценка"),
    "teacher.column.comment": Text("comment", "комментарий"),
    "teacher.column.prompt": Text("prompt", "запрос"),
    "teacher.column.reply": Text("reply", "ответ"),
    "teacher.confirm": Text("Yes, delete the saved texts and feedback of {scope}",
                            "Да, удалить сохранённые тексты и отзывы {scope}"),
    "teacher.delete": Text("Delete them", "Удалить"),
    # the database
    "store.unavailable": Text("Saving is unavailable: {error}", "Сохранение недоступно: {error}"),
}
