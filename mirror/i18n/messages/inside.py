"""Texts of the inside area (keys read as `inside.<key>`): the Inside the Mirror page and its services."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
    # the page (mirror/ui/inside/page.py)
    "example": Text(
        "Mirror, mirror on the wall, who is the fairest of them all? The mirror said: the one who asks.",
        "Свет мой, зеркальце, скажи, кто на свете всех милее? Зеркало ответило: тот, кто спрашивает."),
    "intro": Text(
        "A look inside the model while it reads: the tokens it sees, what each layer would predict (the logit lens), "
        "where every attention head looks, and which words really changed its mind. Every number here is computed "
        "from the model for this very text. The lens reads up to {lens} tokens, attention up to {attention}.",
        "Взгляд внутрь модели, пока она читает: какие токены она видит, что предсказал бы каждый слой (логит-линза), "
        "куда смотрит каждая голова внимания и какие слова на самом деле изменили её решение. Каждое число здесь "
        "вычислено моделью для этого самого текста. Линза читает до {lens} токенов, внимание — до {attention}."),
    "tab.tokens": Text("🔤 Tokens", "🔤 Токены"),
    "tab.lens": Text("🔭 Logit lens", "🔭 Логит-линза"),
    "tab.attention": Text("👀 Attention", "👀 Внимание"),
    "tab.ablation": Text("✂️ What each word did", "✂️ Что сделало каждое слово"),
    "origin.chat": Text("a Chat reply", "ответа из чата"),
    "origin.explorer": Text("the Parameter Explorer", "текста из Исследователя параметров"),
    "origin.fork": Text("a fork", "ответвления"),
    "origin.paste": Text("your text", "вашего текста"),
    "notice.empty": Text("Type or paste a text first: there is nothing to look at yet.",
                         "Сначала введите или вставьте текст: пока смотреть не на что."),
    "notice.too_long": Text(
        "The text has {count} characters; this page takes up to {limit} (and {lens} tokens)."
        "|The text has {count} characters; this page takes up to {limit} (and {lens} tokens).",
        "В тексте {count} символ; эта страница принимает до {limit} (и до {lens} токенов)."
        "|В тексте {count} символа; эта страница принимает до {limit} (и до {lens} токенов)."
        "|В тексте {count} символов; эта страница принимает до {limit} (и до {lens} токенов)."),
    "handed_over": Text(
        "These tokens were handed over from {model}; the model is now {now}, so its text is read again as a plain "
        "text.",
        "Эти токены пришли от модели {model}; теперь выбрана модель {now}, поэтому текст прочитан заново как "
        "обычный текст."),
    "chat_label": Text("your text as a chat message, in the model's chat template",
                       "ваш текст как сообщение чата, в шаблоне чата модели"),
    "unreachable": Text("The insides of this model cannot be reached: {reason}.",
                        "До внутреннего устройства этой модели не добраться: {reason}."),
    "torch.offer": Text(
        "The same weights can be loaded in torch for this page (it takes a few seconds and some memory; the Chat "
        "keeps using the native runtime).",
        "Для этой страницы те же веса можно загрузить в torch (это займёт несколько секунд и немного памяти; Чат "
        "продолжит работать в нативной среде)."),
    "torch.button": Text("Load the torch copy of the same weights", "Загрузить копию тех же весов в torch"),
    "torch.loading": Text("Loading the torch copy of the bundled weights…", "Загружаем копию встроенных весов в torch…"),
    "torch.failed": Text("The torch copy could not be loaded: {error}", "Не удалось загрузить копию в torch: {error}"),
    "torch.caption": Text("Looking inside the torch copy of {name} (the same weights as the {runtime} runtime).",
                          "Смотрим внутрь копии {name} в torch (те же веса, что и в среде {runtime})."),
    "position.label": Text("Position: the token the model has just read (it predicts the next one)",
                           "Позиция: токен, который модель только что прочла (она предсказывает следующий)"),
    "position.came_next": Text("came next: {token}", "следующим шёл: {token}"),
    "position.came_end": Text("the end of the text: nothing came yet", "конец текста: дальше пока ничего нет"),
    "position.caption": Text(
        "At {label}; {came}. Layer 0 is the embeddings, layer {blocks} the model's output ({shape}).",
        "Позиция {label}; {came}. Слой 0 — эмбеддинги, слой {blocks} — выход модели ({shape})."),
    "position.blocks": Text("{count} block|{count} blocks", "{count} блок|{count} блока|{count} блоков"),
    "position.heads": Text(" × {count} head| × {count} heads", " × {count} голова| × {count} головы| × {count} голов"),
    "text.label": Text("Text to look inside", "Текст, внутрь которого смотрим"),
    "text.help": Text("Any text; or open a chat reply or an inspected token here with its 🔬 button.",
                      "Любой текст; или откройте здесь ответ из чата либо токен из Инспектора его кнопкой 🔬."),
    "text.look": Text("🔬 Look inside", "🔬 Заглянуть внутрь"),
    "text.as_chat": Text("As a chat message (shows the chat template)", "Как сообщение чата (с шаблоном чата)"),
    "text.as_chat_help": Text(
        "Wrap the text as one user turn of a chat, as the Chat page sends it, so the special tokens of the chat "
        "template are part of what the model reads.",
        "Обернуть текст в одну реплику пользователя, как её отправляет страница «Чат», — тогда специальные токены "
        "шаблона чата войдут в то, что читает модель."),
    "remote": Text(
        "This app talks to a remote inference server: it sends back text and a few log-probabilities, not the "
        "model's hidden states or attention weights, so there is nothing inside to show here. Run the app with its "
        "own model (unset MIRROR_BACKEND_URL) to use this page.",
        "Это приложение работает с удалённым сервером инференса: он возвращает текст и несколько логарифмов "
        "вероятностей, но не скрытые состояния модели и не веса внимания, поэтому показать изнутри здесь нечего. "
        "Чтобы пользоваться этой страницей, запустите приложение с собственной моделью (уберите "
        "MIRROR_BACKEND_URL)."),
    "looking": Text("Looking inside {origin}: {label}, with the prompt it continued, exactly as the model read it.{cut}",
                    "Смотрим внутрь {origin}: {label}, вместе с запросом, который он продолжал, — ровно так, как "
                    "его прочла модель.{cut}"),
    "looking.cut": Text(
        " The oldest {count} token of its prompt was left out (lens cap)."
        "| The oldest {count} tokens of its prompt were left out (lens cap).",
        " Самый ранний {count} токен запроса отброшен (предел линзы)."
        "| Самые ранние {count} токена запроса отброшены (предел линзы)."
        "| Самые ранние {count} токенов запроса отброшены (предел линзы)."),
    "forward_pass": Text("One forward pass, keeping every layer and every head…",
                         "Один прямой проход, сохраняем каждый слой и каждую голову…"),
    "cannot_look": Text("Cannot look inside this text: {error}.", "Не получается заглянуть внутрь этого текста: {error}."),
    "not_here": Text("That does not work here: {error}", "Здесь так не получится: {error}"),
    "languages.expander": Text("🌍 The same sentence in two languages", "🌍 Одно предложение на двух языках"),

    # the Tokens tab (mirror/ui/inside/tokens.py, mirror/services/inside/tokens.py)
    "tokens.teaching": Text(
        "A language model never sees letters: it sees **tokens**, numbered pieces of text from a fixed vocabulary, "
        "and each token stands for a few bytes of UTF-8. The vocabulary was learnt mostly from English, so English "
        "words are often one token each, while Cyrillic, CJK or emoji text is cut into many short pieces, sometimes "
        "even inside one character: the same sentence costs more tokens, more compute and more of the context "
        "window.",
        "Языковая модель никогда не видит букв: она видит **токены** — пронумерованные кусочки текста из "
        "фиксированного словаря, и каждый токен обозначает несколько байтов UTF-8. Словарь выучен в основном на "
        "английских текстах, поэтому английское слово часто занимает один токен, а текст на кириллице, иероглифами "
        "или из эмодзи режется на много коротких кусочков, иногда даже внутри одного символа: то же предложение "
        "стоит больше токенов, больше вычислений и занимает больше контекстного окна."),
    "tokens.provenance": Text(
        "Computed from the model's own tokenizer for this very sequence: every id, byte and count; nothing is "
        "estimated.",
        "Вычислено собственным токенизатором модели для этой самой последовательности: каждый id, каждый байт и "
        "каждое число; ничего не взято на глаз."),
    "tokens.languages_caption": Text(
        "The same meaning, two scripts: a vocabulary learnt mostly from English text has few whole Cyrillic words, "
        "so Russian falls apart into short pieces of bytes and costs more tokens: more compute, and less text fits "
        "in the context window.",
        "Один смысл, две письменности: в словаре, выученном в основном на английских текстах, мало целых "
        "кириллических слов, поэтому русский текст распадается на короткие кусочки байтов и стоит больше токенов: "
        "больше вычислений, а в контекстное окно помещается меньше текста."),
    "tokens.empty": Text("There are no tokens to show: the text is empty.", "Показывать нечего: текст пуст."),
    "tokens.special_caption": Text(
        "Pink outlined chips are **special tokens**: the chat template's markers (who speaks, where a turn ends) or "
        "the document start. Nobody typed them; the model reads them like any other token.",
        "Розовые фишки с рамкой — **специальные токены**: метки шаблона чата (кто говорит, где кончается реплика) "
        "или начало документа. Их никто не печатал; модель читает их, как любые другие токены."),
    "tokens.split_caption": Text(
        "Dashed frames hold tokens that only together make whole characters (hex bytes shown): {examples}.",
        "В пунктирных рамках — токены, которые только вместе составляют целые символы (байты показаны в "
        "шестнадцатеричном виде): {examples}."),
    "tokens.language_a": Text("English", "английский"),
    "tokens.language_b": Text("Russian", "русский"),
    "tokens.language": Text("Language", "Язык"),
    "tokens.sentence": Text("A sentence in {name}", "Предложение на языке «{name}»"),
    "tokens.type_sentence": Text("Type a sentence in {name} to count its tokens ({error}).",
                                 "Введите предложение на языке «{name}», чтобы посчитать его токены ({error})."),
    "tokens.metric.tokens": Text("Tokens", "Токены"),
    "tokens.metric.characters": Text("Characters", "Символы"),
    "tokens.metric.bytes": Text("UTF-8 bytes", "Байты UTF-8"),
    "tokens.per_token": Text("{value} characters per token", "{value} символа на токен"),
    "tokens.fill_both": Text("Fill in both sentences to compare what they cost.",
                             "Заполните оба предложения, чтобы сравнить, сколько они стоят."),
    "tokens.cannot_compare": Text("The two sentences cannot be compared: {error}.",
                                  "Эти два предложения нельзя сравнить: {error}."),
    "tokens.column.position": Text("position", "позиция"),
    "tokens.column.token": Text("token", "токен"),
    "tokens.column.id": Text("id", "id"),
    "tokens.column.bytes": Text("bytes", "байты"),
    "tokens.column.special": Text("special", "специальный"),
    "tokens.column.characters": Text("characters", "символы"),
    "tokens.column.vocabulary entry": Text("vocabulary entry", "запись в словаре"),
    "tokens.count": Text("{count} token|{count} tokens", "{count} токен|{count} токена|{count} токенов"),
    "tokens.characters": Text("{count} character|{count} characters",
                              "{count} символ|{count} символа|{count} символов"),
    "tokens.group_one": Text("this token makes {characters} {text}", "этот токен даёт {characters} {text}"),
    "tokens.group_split": Text("these {tokens} make {characters} {text}", "эти {tokens} дают {characters} {text}"),
    "tokens.summary_special": Text(" ({count} special)", " (специальных: {count})"),
    "tokens.summary_split": Text(
        "{count} character is split across several tokens|{count} characters are split across several tokens",
        "{count} символ разбит на несколько токенов|{count} символа разбиты на несколько токенов"
        "|{count} символов разбиты на несколько токенов"),
    "tokens.chip": Text("#{index} · id {id} · bytes {bytes}", "#{index} · id {id} · байты {bytes}"),
    "tokens.chip_none": Text("(none)", "(нет)"),
    "tokens.chip_special": Text(" · special token", " · специальный токен"),
    "tokens.first": Text("first", "первый"),
    "tokens.second": Text("second", "второй"),
    "tokens.ratio_same": Text("The {name_b} sentence costs as many tokens as the {name_a} one.",
                              "На языке «{name_b}» предложение стоит столько же токенов, сколько на языке «{name_a}»."),
    "tokens.ratio_more": Text("The {name_b} sentence costs {ratio}× as many tokens as the {name_a} one.",
                              "На языке «{name_b}» предложение стоит в {ratio} раза больше токенов, чем на языке "
                              "«{name_a}»."),
    "tokens.ratio_less": Text("The {name_b} sentence costs {ratio}× as many tokens as the {name_a} one.",
                              "На языке «{name_b}» предложение стоит меньше токенов: {ratio} от их числа на языке "
                              "«{name_a}»."),

    # the Logit lens tab (mirror/ui/inside/lens.py)
    "lens.teaching": Text(
        "**What is the logit lens?** The model is a stack of blocks; each block adds to a running vector per token, "
        "the *residual stream*. Only after the last block does the model turn that vector into a guess about the "
        "next token. The lens asks the same question early: *if the model stopped after this block, what would it "
        "say?* Low layers often just echo the current token; the answer forms on the way up.",
        "**Что такое логит-линза?** Модель — это стопка блоков; каждый блок что-то добавляет к вектору, который "
        "идёт через всю модель для каждого токена, — к *остаточному потоку*. Только после последнего блока модель "
        "превращает этот вектор в догадку о следующем токене. Линза задаёт тот же вопрос раньше: *если бы модель "
        "остановилась после этого блока, что бы она сказала?* Нижние слои часто просто повторяют текущий токен; "
        "ответ складывается по пути наверх."),
    "lens.provenance": Text(
        "Computed from the model: each layer's residual stream at each position, put through the model's own final "
        "norm and output layer. Nothing is drawn, smoothed or estimated.",
        "Вычислено моделью: остаточный поток каждого слоя на каждой позиции пропущен через собственные финальную "
        "нормировку и выходной слой модели. Ничего не дорисовано, не сглажено и не взято на глаз."),
    "lens.layer_embeddings": Text("0 · embeddings", "0 · эмбеддинги"),
    "lens.layer_output": Text("{layer} · output", "{layer} · выход"),
    "lens.layer_after": Text("{layer} · after block {layer}", "{layer} · после блока {layer}"),
    "lens.what": Text("Heatmap colour: the probability of", "Цвет тепловой карты — вероятность"),
    "lens.what.next": Text("the token that came next in the text", "токена, который шёл в тексте следующим"),
    "lens.what.final": Text("the model's final top-1 guess", "итоговой первой догадки модели (топ-1)"),
    "lens.legend.next": Text("next token", "следующий токен"),
    "lens.legend.final": Text("final top-1", "итоговый топ-1"),
    "lens.last_position": Text("At the last position (#{position}) nothing came yet: its cell shows the final top-1.",
                               "На последней позиции (#{position}) дальше ещё ничего нет: её клетка показывает "
                               "итоговый топ-1."),
    "lens.commitment": Text(
        "**Commitment strip**: the first layer from which the model's final top-1 stays its top-1 (low: decided "
        "early; the last layer: decided only at the end).",
        "**Полоса решения**: первый слой, начиная с которого итоговый топ-1 модели остаётся её топ-1 (низкий — "
        "решено рано; последний слой — решено только в самом конце)."),
    "lens.top5": Text("**Top 5 at {label}**, layer by layer (the output on top)",
                      "**Топ-5 на позиции {label}**, слой за слоем (выход сверху)"),
    "lens.column.layer": Text("layer", "слой"),
    "lens.sampler": Text(
        "**Would it have survived the sampler?** One layer's distribution through the sidebar's sampler settings.",
        "**Уцелел бы он при выборке?** Распределение одного слоя, пропущенное через настройки выборки на боковой "
        "панели."),
    "lens.choice_final": Text("the final top-1 {token}", "итоговый топ-1 {token}"),
    "lens.choice_next": Text("the token that came next {token}", "следующий токен текста {token}"),
    "lens.layer": Text("Layer", "Слой"),
    "lens.layer_help": Text("0 = the embeddings; the last = the model's own output",
                            "0 — эмбеддинги; последний — собственный выход модели"),
    "lens.token": Text("Token", "Токен"),
    "lens.metric.raw": Text("Lens probability", "Вероятность по линзе"),
    "lens.metric.raw_help": Text("at {layer}", "на слое {layer}"),
    "lens.metric.rank": Text("Rank there", "Место на этом слое"),
    "lens.metric.sampler": Text("After the sampler", "После выборки"),
    "lens.metric.sampler_help": Text(
        "temperature {temperature}, top-k {top_k}, top-p {top_p}, repetition penalty {penalty}",
        "температура {temperature}, top-k {top_k}, top-p {top_p}, штраф за повторы {penalty}"),
    "lens.metric.kept": Text("Tokens left a chance", "Токенов с шансом"),
    "lens.survives": Text("It survives: with these settings the sampler could pick it at {layer}.",
                          "Уцелеет: с этими настройками выборка могла бы выбрать его на слое {layer}."),
    "lens.cut": Text("It is cut: at {layer} top-k / top-p leave it no chance.",
                     "Отсечён: на слое {layer} top-k / top-p не оставляют ему шанса."),

    # the Attention tab (mirror/ui/inside/attention.py)
    "att.note": Text(
        "**What attention is, and is not.** Each head mixes information from earlier tokens into the current one; "
        "the weights say *how much of each token's value vector* it mixed in, and every row sums to 1. That is where "
        "the model looked, not why it chose its next token: a large weight can carry little information, and the "
        "value vectors, the MLPs and the other heads all matter too. For cause and effect, see **What each word "
        "did** (ablation).\n\n"
        "**Why so much weight on the first token?** A head must put its weight somewhere, even when nothing earlier "
        "is useful. Models learn to park it on the first token (an *attention sink*), whose value vector changes "
        "little, so parking there is close to doing nothing.",
        "**Что такое внимание и чем оно не является.** Каждая голова подмешивает в текущий токен информацию из "
        "предыдущих; веса говорят, *сколько вектора значения каждого токена* она подмешала, и каждая строка в "
        "сумме даёт 1. Это то, куда модель смотрела, а не то, почему она выбрала следующий токен: большой вес может "
        "нести мало информации, а векторы значений, MLP-слои и другие головы тоже важны. О причинах и следствиях — "
        "на вкладке **Что сделало каждое слово** (абляция).\n\n"
        "**Почему так много веса на первом токене?** Голове нужно куда-то деть свой вес, даже когда раньше нет "
        "ничего полезного. Модели учатся «парковать» его на первом токене (*сток внимания*), чей вектор значения "
        "почти ничего не меняет, так что такая парковка почти равна бездействию."),
    "att.provenance": Text(
        "Computed from the model: the softmax weights of its eager attention for this very sequence, one row per "
        "head, nothing averaged unless it says so.",
        "Вычислено моделью: веса softmax её внимания (в режиме eager) для этой самой последовательности, по строке "
        "на голову; ничего не усреднено, если не сказано иначе."),
    "att.over_cap": Text(
        "Attention weights are kept for texts up to {cap} tokens (they take blocks × heads × tokens² numbers); this "
        "one has {count}. Shorten the text to see them; the lens and the other tabs work up to the lens cap.",
        "Веса внимания хранятся для текстов до {cap} токенов (они занимают блоки × головы × токены² чисел); в этом "
        "тексте их {count}. Сократите текст, чтобы их увидеть; линза и другие вкладки работают до предела линзы."),
    "att.grid": Text(
        "**Every block × head at {here}**: each strip is one head's weights over the tokens up to this one (left: "
        "the first token). Heads 1–{heads} run left to right. **Click a strip** to open that head below.",
        "**Все блоки × головы на позиции {here}**: каждая полоска — веса одной головы по токенам до этого "
        "(слева — первый токен). Головы 1–{heads} идут слева направо. **Нажмите на полоску**, чтобы открыть эту "
        "голову ниже."),
    "att.block": Text("Block", "Блок"),
    "att.head": Text("Head", "Голова"),
    "att.head_heading": Text(
        "**Block {block}, head {head}**: every position's weights (rows: the position reading; columns: the tokens "
        "it reads). The outlined row is {here}.",
        "**Блок {block}, голова {head}**: веса каждой позиции (строки — читающая позиция; столбцы — токены, которые "
        "она читает). Обведённая строка — {here}."),
    "att.looks_most": Text("At {here} this head looks most at {best}.",
                           "На позиции {here} эта голова больше всего смотрит на {best}."),
    "att.means": Text("**Mean over heads, per block**, at {here}",
                      "**Среднее по головам для каждого блока** на позиции {here}"),

    # chart titles and text alternatives (mirror/ui/inside/charts.py)
    "chart.in_words": Text("In words: {text}", "Описание графика: {text}"),
    "chart.lens.x": Text("position (the token the model has just read)",
                         "позиция (токен, который модель только что прочла)"),
    "chart.lens.y": Text("layer (0 = embeddings)", "слой (0 — эмбеддинги)"),
    "chart.at": Text("at", "позиция"),
    "chart.layer": Text("layer", "слой"),
    "chart.target": Text("target", "токен"),
    "chart.probability": Text("probability", "вероятность"),
    "chart.layer_top1": Text("layer top-1", "топ-1 слоя"),
    "chart.final_top1": Text("final top-1", "итоговый топ-1"),
    "chart.from_layer": Text("from layer", "со слоя"),
    "chart.head_label": Text("head", "голова"),
    "chart.block": Text("block", "блок"),
    "chart.head": Text("head", "голова"),
    "chart.weight": Text("weight", "вес"),
    "chart.to_position": Text("to position", "на позицию"),
    "chart.key_axis": Text("attends to (key)", "на что смотрит (ключ)"),
    "chart.query_axis": Text("from (query)", "откуда (запрос)"),
    "chart.query": Text("query", "запрос"),
    "chart.key": Text("key", "ключ"),
    "chart.attends_to": Text("attends to", "на что смотрит"),
    "chart.mean_weight": Text("mean weight", "средний вес"),
    "chart.to": Text("to", "на токен"),
    "chart.alt.lens": Text(
        "at the output layer, the probability of {what} averages {mean} over the {positions} positions; the highest "
        "is {top} at {at}, layer {layer}.",
        "на выходном слое средняя по позициям ({positions}) вероятность {what} — {mean}; наибольшая — {top} на "
        "позиции {at}, слой {layer}."),
    "chart.alt.commitment": Text(
        "the final top-1 is settled from layer {mean} on average; earliest at {early} (from layer {early_layer}), "
        "latest at {late} (from layer {late_layer}).",
        "итоговый топ-1 в среднем устанавливается со слоя {mean}; раньше всего — на позиции {early} (со слоя "
        "{early_layer}), позже всего — на позиции {late} (со слоя {late_layer})."),
    "chart.alt.grid": Text("{first} of the {total} heads put most of their weight on the first token{rest}.",
                           "голов, которые больше всего веса отдают первому токену: {first} из {total}{rest}."),
    "chart.alt.grid_rest": Text("; the strongest weight on any later token is {weight}, head {head} of block {block} "
                                "on {at}",
                                "; самый большой вес на любом из следующих токенов — {weight}: голова {head} блока "
                                "{block} на токене {at}"),
    "chart.alt.head": Text(
        "averaged over the rows, this head gives the most weight to {at} ({weight}); its strongest single weight is "
        "{top}, from {query} to {key}.",
        "в среднем по строкам эта голова больше всего веса отдаёт токену {at} ({weight}); её самый большой вес — "
        "{top}, от {query} к {key}."),
    "chart.alt.means": Text(
        "averaged over heads, the first token gets the most weight in {first} of the {count} block{rest}."
        "|averaged over heads, the first token gets the most weight in {first} of the {count} blocks{rest}.",
        "в среднем по головам первый токен получает больше всего веса в {first} из {count} блока{rest}."
        "|в среднем по головам первый токен получает больше всего веса в {first} из {count} блоков{rest}."
        "|в среднем по головам первый токен получает больше всего веса в {first} из {count} блоков{rest}."),
    "chart.alt.means_rest": Text("; apart from it, the strongest mean weight is {weight}, block {block} on {at}",
                                 "; кроме него, самый большой средний вес — {weight}: блок {block}, токен {at}"),

    # What each word did (mirror/ui/inside/ablation.py)
    "abl.teaching": Text(
        "**Causal, unlike attention.** Here we *change the input* — remove or replace one word of the prompt — and "
        "score the very same continuation again. When its probability moves, that word caused part of the "
        "prediction. Attention weights only show where a head looked; a head can look hard at a word that changes "
        "nothing. Every number below is a forward pass of the model on the edited tokens, the same scoring as the "
        "Token Inspector's.",
        "**Причина и следствие, в отличие от внимания.** Здесь мы *меняем вход* — убираем или заменяем одно слово "
        "запроса — и заново оцениваем то же самое продолжение. Если его вероятность сдвинулась, это слово — часть "
        "причины предсказания. Веса внимания показывают только, куда смотрела голова; голова может пристально "
        "смотреть на слово, которое ничего не меняет. Каждое число ниже — прямой проход модели по изменённым "
        "токенам, та же оценка, что и в Инспекторе токенов."),
    "abl.caveats": Text(
        "Caveats: removing a word also changes the grammar, so part of a change can be the model reacting to a "
        "broken sentence (a replacement keeps the sentence whole). One edit is measured at a time: two words that "
        "can stand in for each other each look unimportant alone.",
        "Оговорки: удаление слова меняет и грамматику, так что часть изменения может быть реакцией модели на "
        "сломанное предложение (замена сохраняет предложение целым). За раз измеряется одна правка: два слова, "
        "способные заменить друг друга, по отдельности оба кажутся неважными."),
    "abl.split": Text("The continuation starts at", "Продолжение начинается с"),
    "abl.split_help": Text(
        "Tokens before this point are the prompt, whose words you can edit; the rest is the continuation, whose "
        "probability is measured. Its tokens never change.",
        "Токены до этой точки — запрос, его слова можно править; остальное — продолжение, вероятность которого "
        "измеряется. Его токены никогда не меняются."),
    "abl.word": Text("Word of the prompt", "Слово запроса"),
    "abl.word_one": Text("{number}. “{text}” (token {first})", "{number}. «{text}» (токен {first})"),
    "abl.word_many": Text("{number}. “{text}” (tokens {first}–{last})", "{number}. «{text}» (токены {first}–{last})"),
    "abl.edit": Text("Edit", "Правка"),
    "abl.action.remove": Text("Remove it", "Убрать его"),
    "abl.action.replace": Text("Replace it with…", "Заменить на…"),
    "abl.replacement": Text("Replacement", "Замена"),
    "abl.replacement_placeholder": Text("e.g. another word", "например, другое слово"),
    "abl.replacement_help": Text("Keeps the word's own leading space; the tokens are spliced in its place.",
                                 "Пробел перед словом сохраняется; токены замены встают на место слова."),
    "abl.type_replacement": Text("Type a replacement, or choose “{remove}”.", "Введите замену или выберите «{remove}»."),
    "abl.chart.x": Text("continuation token", "токен продолжения"),
    "abl.original": Text("original", "исходный"),
    "abl.edited": Text("edited", "после правки"),
    "abl.text": Text("text", "текст"),
    "abl.position": Text("position", "позиция"),
    "abl.token": Text("token", "токен"),
    "abl.nats": Text("{value} nats", "{value} нат"),
    "abl.nats_bits": Text("{nats} nats ({bits} bits)", "{nats} нат ({bits} бит)"),
    "abl.metric.before": Text("log-probability, original", "логарифм вероятности, исходный"),
    "abl.metric.before_help": Text("Sum of ln p over the continuation's tokens", "Сумма ln p по токенам продолжения"),
    "abl.metric.after": Text("log-probability, edited", "логарифм вероятности после правки"),
    "abl.metric.became": Text("the whole continuation became", "всё продолжение стало"),
    "abl.metric.became_help": Text(
        "exp(change in log-probability): how many times more (or less) likely the model finds it",
        "exp(изменение логарифма вероятности): во сколько раз вероятнее (или менее вероятным) его считает модель"),
    "abl.far_more": Text("far more likely", "намного вероятнее"),
    "abl.far_less": Text("far less likely", "намного менее вероятным"),
    "abl.times_more": Text("{times}× more likely", "в {times} раза вероятнее"),
    "abl.times_less": Text("{times}× less likely", "в {times} раза менее вероятным"),
    "abl.measure": Text("Measure", "Что измеряем"),
    "abl.measure_whole": Text("the whole continuation", "всё продолжение"),
    "abl.measure_one": Text("one chosen token: {number}: {token}", "один выбранный токен: {number}: {token}"),
    "abl.focus_metric": Text("probability of “{token}”", "вероятность «{token}»"),
    "abl.points": Text("{value} points", "{value} п. п."),
    "abl.edit_shown": Text("**Edit:** {description}", "**Правка:** {description}"),
    "abl.edited_prompt": Text("The edited prompt, as the model read it", "Изменённый запрос — так, как его прочла модель"),
    "abl.every_token": Text("Every continuation token (table)", "Все токены продолжения (таблица)"),
    "abl.column.p_original": Text("p, original", "p, исходная"),
    "abl.column.p_edited": Text("p, edited", "p, после правки"),
    "abl.column.change": Text("change", "изменение"),
    "abl.column.expected_original": Text("expected, original", "первый выбор, исходный"),
    "abl.column.expected_edited": Text("expected, edited", "первый выбор после правки"),
    "abl.ranking": Text("Which words mattered most", "Какие слова значили больше всего"),
    "abl.ranking_caption": Text(
        "Removes each of the {count} word in turn: {passes} forward passes."
        "|Removes each of the {count} words in turn: {passes} forward passes.",
        "Убирает по очереди каждое слово (всего {count}): прямых проходов — {passes}."
        "|Убирает по очереди каждое слово (всего {count}): прямых проходов — {passes}."
        "|Убирает по очереди каждое слово (всего {count}): прямых проходов — {passes}."),
    "abl.rank": Text("🏅 Rank every word", "🏅 Оценить каждое слово"),
    "abl.scoring_original": Text("Scoring the original…", "Оцениваем исходный текст…"),
    "abl.removed": Text("Removed {done} of {total} words", "Убрано слов: {done} из {total}"),
    "abl.rank_title_whole": Text("change in the continuation's log-probability without the word (nats)",
                                 "изменение логарифма вероятности продолжения без слова (наты)"),
    "abl.rank_title_token": Text("change in p(“{token}”) without the word", "изменение p(«{token}») без слова"),
    "abl.rank_legend": Text("without the word, it is", "без слова продолжение"),
    "abl.more_likely": Text("more likely", "вероятнее"),
    "abl.less_likely": Text("less likely", "менее вероятно"),
    "abl.column.rank": Text("rank", "место"),
    "abl.column.word": Text("word", "слово"),
    "abl.column.tokens": Text("tokens", "токены"),
    "abl.column.influence": Text("influence", "влияние"),
    "abl.column.p_change": Text("p change", "изменение p"),
    "abl.column.logprob_change": Text("log-prob change (nats)", "изменение логарифма вероятности (наты)"),
    "abl.column.bits": Text("bits", "биты"),
    "abl.too_short": Text("Ablation needs a prompt and a continuation: this sequence has fewer than two tokens.",
                          "Для абляции нужны запрос и продолжение: в этой последовательности меньше двух токенов."),
    "abl.no_words": Text(
        "There are no words before this point (only special tokens or whitespace): move the start of the "
        "continuation further right.",
        "До этой точки нет слов (только специальные токены или пробелы): сдвиньте начало продолжения правее."),
    "abl.apply": Text("✂️ Apply the edit and score again", "✂️ Применить правку и оценить заново"),
    "abl.scoring_again": Text("Scoring the continuation again…", "Заново оцениваем продолжение…"),
    "abl.hint": Text("Choose a word and press the button: the continuation is scored again with the edit.",
                     "Выберите слово и нажмите кнопку: продолжение будет оценено заново с правкой."),
    "abl.alt.before_after": Text(
        "with the edit, {up} of the {count} continuation token became more likely and {down} less likely; the "
        "biggest change is at {label}: {before} → {after}."
        "|with the edit, {up} of the {count} continuation tokens became more likely and {down} less likely; the "
        "biggest change is at {label}: {before} → {after}.",
        "после правки вероятнее стали {up} из {count} токена продолжения, менее вероятными — {down}; сильнее "
        "всего изменился токен {label}: {before} → {after}."
        "|после правки вероятнее стали {up} из {count} токенов продолжения, менее вероятными — {down}; сильнее "
        "всего изменился токен {label}: {before} → {after}."
        "|после правки вероятнее стали {up} из {count} токенов продолжения, менее вероятными — {down}; сильнее "
        "всего изменился токен {label}: {before} → {after}."),
    "abl.alt.ranking": Text(
        "the word that matters most is “{word}” ({change}); removing it makes the continuation {direction}. Of the "
        "{count} word, {more} make it more likely when removed and {less} less likely."
        "|the word that matters most is “{word}” ({change}); removing it makes the continuation {direction}. Of the "
        "{count} words, {more} make it more likely when removed and {less} less likely.",
        "больше всего значит слово «{word}» ({change}): без него продолжение {direction}. Слов, без которых "
        "продолжение вероятнее: {more}, менее вероятно: {less} (всего {count})."
        "|больше всего значит слово «{word}» ({change}): без него продолжение {direction}. Слов, без которых "
        "продолжение вероятнее: {more}, менее вероятно: {less} (всего {count})."
        "|больше всего значит слово «{word}» ({change}): без него продолжение {direction}. Слов, без которых "
        "продолжение вероятнее: {more}, менее вероятно: {less} (всего {count})."),

    # what the services tell the user (mirror/services/inside/*.py)
    "svc.text_empty": Text("the text is empty", "текст пуст"),
    "svc.no_tokens": Text("there are no tokens to look at", "здесь нет токенов, на которые можно посмотреть"),
    "svc.lens_cap": Text("the lens reads up to {cap} tokens; this text has {count}",
                         "линза читает до {cap} токенов; в этом тексте их {count}"),
    "svc.window": Text("the model reads up to {cap} tokens at once; this text has {count}",
                       "модель читает не больше {cap} токенов за раз; в этом тексте их {count}"),
    "svc.attention_cap": Text("attention weights are kept for up to {cap} tokens; this sequence has {count}",
                              "веса внимания хранятся не больше чем для {cap} токенов; в этой последовательности "
                              "их {count}"),
    "svc.vocabulary": Text(
        "token id {id} is not in this model's vocabulary of {size} tokens (were the tokens made by another model?)",
        "токена с id {id} нет в словаре этой модели из {size} токенов (может быть, токены сделала другая модель?)"),
    "svc.native": Text(
        "the {runtime} runtime computes inside native code and gives out no hidden states or attention weights",
        "среда {runtime} считает внутри нативного кода и не отдаёт ни скрытых состояний, ни весов внимания"),
    "svc.no_hidden": Text("{name} gives out no hidden states", "{name} не отдаёт скрытых состояний"),
    "svc.no_head": Text("{name}: its final norm and output layer could not be found",
                        "{name}: не удалось найти финальную нормировку и выходной слой"),
    "svc.outside": Text("layer {layer} / position {position} is outside this look",
                        "слой {layer} или позиция {position} вне этого просмотра"),
    "svc.cannot_compare": Text("cannot compare with {text}: it has no tokens",
                               "сравнить с {text} нельзя: в нём нет токенов"),
    "svc.remove": Text("remove “{word}”", "убрать «{word}»"),
    "svc.replace": Text("replace “{word}” with “{replacement}”", "заменить «{word}» на «{replacement}»"),
    "svc.split": Text(
        "the prompt must end between token 1 and token {last} of the {count}-token sequence (got {split}): both the "
        "prompt and the continuation need at least one token",
        "запрос должен кончаться между токеном 1 и токеном {last} (всего токенов: {count}; получено {split}): и "
        "запросу, и продолжению нужен хотя бы один токен"),
    "svc.target": Text(
        "the chosen token must be one of the continuation's {count} tokens (0 to {last}; got {target})",
        "выбранный токен должен быть одним из токенов продолжения (всего {count}: от 0 до {last}; получено "
        "{target})"),
    "svc.replacement_empty": Text("the replacement is empty: type a word, or remove the word instead",
                                  "замена пуста: введите слово или просто уберите слово"),
    "svc.replacement_nothing": Text("the replacement {text} tokenizes to nothing",
                                    "замена {text} не даёт ни одного токена"),
    "svc.replacement_special": Text("the replacement {text} contains a special token; type ordinary text",
                                    "замена {text} содержит специальный токен; введите обычный текст"),
    "svc.not_inside": Text("the word {word} (tokens {first} to {last}) is not inside the {split}-token prompt",
                           "слово {word} (токены с {first} по {last}) не входит в запрос (токенов в запросе: "
                           "{split})"),
    "svc.covers_special": Text("the word {word} covers a special token; special tokens are never removed",
                               "слово {word} захватывает специальный токен, а специальные токены никогда не "
                               "убираются"),
    "svc.no_start": Text(
        "the edited prompt is empty and this model has no document-start token, so the first token of the "
        "continuation cannot be scored; keep at least one word",
        "изменённый запрос пуст, а у этой модели нет токена начала документа, поэтому первый токен продолжения не "
        "оценить; оставьте хотя бы одно слово"),
    "svc.scored": Text("scored {scored} of the continuation's {count} tokens",
                       "оценено токенов продолжения: {scored} из {count}"),
    "svc.original_mismatch": Text("the original score is not of this continuation",
                                  "исходная оценка относится не к этому продолжению"),
    "svc.no_words": Text("the prompt has no words to remove (only special tokens or whitespace)",
                         "в запросе нет слов, которые можно убрать (только специальные токены или пробелы)"),
}
