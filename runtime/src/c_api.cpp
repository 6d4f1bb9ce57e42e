// The extern "C" surface of tern/runtime.h over the C++ core in model.h. No C++ exception crosses it.
#include "tern/runtime.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>
#include <system_error>
#include <string>

#include "batch.h"
#include "model.h"

#ifndef TERN_VERSION
#define TERN_VERSION "0.0.0"
#endif

struct tern_model {
  std::shared_ptr<const tern::Model> model;
};

struct tern_session {
  tern::Session session;
};

struct tern_batch {
  std::unique_ptr<tern::Batch> batch;
};

namespace {

tern_status report(char *errbuf, size_t errlen, tern_status status, const std::string &message) {
  if (errbuf && errlen > 0) std::snprintf(errbuf, errlen, "%s", message.c_str());
  return status;
}

// Runs one forward or batch step and turns its outcome, or the exception it threw, into a status
// with the message in errbuf.
template <typename Step>
tern_status runStep(char *errbuf, size_t errlen, Step step) {
  try {
    std::string error;
    switch (step(&error)) {
      case tern::RunOutcome::Ok: return TERN_OK;
      case tern::RunOutcome::BadInput:
        return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, error);
      case tern::RunOutcome::BrokenAbi:
        return report(errbuf, errlen, TERN_ERROR_EXECUTION, error);
    }
    return TERN_ERROR_EXECUTION;
  } catch (const std::bad_alloc &) {
    return report(errbuf, errlen, TERN_ERROR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return report(errbuf, errlen, TERN_ERROR_EXECUTION, e.what());
  }
}

void clearError(char *errbuf, size_t errlen) {
  if (errbuf && errlen > 0) errbuf[0] = '\0';
}

}  // namespace

extern "C" {

const char *tern_runtime_version(void) { return TERN_VERSION; }

const char *tern_status_string(tern_status status) {
  switch (status) {
    case TERN_OK: return "ok";
    case TERN_ERROR_INVALID_ARGUMENT: return "invalid argument";
    case TERN_ERROR_LOAD: return "load error";
    case TERN_ERROR_EXECUTION: return "execution error";
    case TERN_ERROR_OUT_OF_MEMORY: return "out of memory";
  }
  return "unknown status";
}

tern_status tern_model_open(const char *path, tern_model **model, char *errbuf, size_t errlen) {
  clearError(errbuf, errlen);
  if (!model) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "model is null");
  *model = nullptr;
  if (!path) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "path is null");
  try {
    std::string error;
    std::shared_ptr<const tern::Model> loaded = tern::Model::open(path, &error);
    if (!loaded) return report(errbuf, errlen, TERN_ERROR_LOAD, error);
    *model = new tern_model{std::move(loaded)};
    return TERN_OK;
  } catch (const std::bad_alloc &) {
    return report(errbuf, errlen, TERN_ERROR_OUT_OF_MEMORY, std::string(path) + ": out of memory");
  } catch (const std::exception &e) {
    return report(errbuf, errlen, TERN_ERROR_LOAD, std::string(path) + ": " + e.what());
  }
}

void tern_model_close(tern_model *model) { delete model; }

tern_status tern_model_info(const tern_model *model, tern_model_info_t *info) {
  if (!model || !info) return TERN_ERROR_INVALID_ARGUMENT;
  const tern::ArtifactManifest &m = model->model->manifest();
  info->vocab_size = m.vocabSize;
  info->hidden_size = m.hiddenSize;
  info->num_layers = m.numLayers;
  info->bos_token_id = m.bosTokenId;
  info->eos_token_id = m.eosTokenId;
  return TERN_OK;
}

tern_status tern_model_tokenizer(const tern_model *model, const char **format, const void **data,
                                 size_t *size) {
  if (!model || !format || !data || !size) return TERN_ERROR_INVALID_ARGUMENT;
  const tern::ArtifactManifest &m = model->model->manifest();
  const std::string_view bytes = model->model->tokenizer();
  *format = m.tokenizerFormat.empty() ? nullptr : m.tokenizerFormat.c_str();
  *data = m.tokenizerFormat.empty() ? nullptr : bytes.data();
  *size = m.tokenizerFormat.empty() ? 0 : bytes.size();
  return TERN_OK;
}

tern_status tern_model_set_threads(tern_model *model, int threads) {
  if (!model || threads < 0) return TERN_ERROR_INVALID_ARGUMENT;
  try {
    model->model->kernels().setThreads(threads);
    return TERN_OK;
  } catch (const std::system_error &) {
    return TERN_ERROR_OUT_OF_MEMORY;  // a thread could not start
  }
}

tern_status tern_model_set_isa(tern_model *model, const char *isa, char *errbuf, size_t errlen) {
  clearError(errbuf, errlen);
  if (!model || !isa) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "model or isa is null");
  std::string error;
  if (!model->model->kernels().setIsa(isa, &error))
    return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, error);
  return TERN_OK;
}

int tern_model_threads(const tern_model *model) {
  return model ? model->model->kernels().threads() : 0;
}

const char *tern_model_isa(const tern_model *model) {
  return model ? model->model->kernels().isa().name : "";
}

tern_status tern_session_create(tern_model *model, tern_session **session) {
  if (!session) return TERN_ERROR_INVALID_ARGUMENT;
  *session = nullptr;
  if (!model) return TERN_ERROR_INVALID_ARGUMENT;
  try {
    *session = new tern_session{tern::Session(model->model)};
    return TERN_OK;
  } catch (const std::bad_alloc &) {
    return TERN_ERROR_OUT_OF_MEMORY;
  }
}

void tern_session_destroy(tern_session *session) { delete session; }

void tern_session_reset(tern_session *session) {
  if (session) session->session.reset();
}

tern_status tern_session_forward(tern_session *session, const int32_t *ids, size_t n,
                                 tern_logits which, float *logits_out, char *errbuf,
                                 size_t errlen) {
  clearError(errbuf, errlen);
  if (!session) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "session is null");
  tern::LogitsWanted wanted;
  switch (which) {
    case TERN_LOGITS_NONE: wanted = tern::LogitsWanted::None; break;
    case TERN_LOGITS_LAST: wanted = tern::LogitsWanted::Last; break;
    case TERN_LOGITS_ALL: wanted = tern::LogitsWanted::All; break;
    default:
      return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT,
                    "unknown tern_logits value " + std::to_string(static_cast<int>(which)));
  }
  return runStep(errbuf, errlen, [&](std::string *error) {
    return session->session.forward(ids, n, wanted, logits_out, error);
  });
}

tern_status tern_session_get_state(const tern_session *session, float *state_out, size_t count) {
  if (!session || !state_out) return TERN_ERROR_INVALID_ARGUMENT;
  const std::vector<float> &state = session->session.state();
  if (count != state.size()) return TERN_ERROR_INVALID_ARGUMENT;
  std::memcpy(state_out, state.data(), sizeof(float) * count);
  return TERN_OK;
}

tern_status tern_batch_create(tern_model *model, size_t batch_size, tern_batch **batch, char *errbuf,
                              size_t errlen) {
  clearError(errbuf, errlen);
  if (!batch) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "batch is null");
  *batch = nullptr;
  if (!model) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "model is null");
  try {
    std::string error;
    bool badInput = false;
    std::unique_ptr<tern::Batch> made = tern::Batch::create(model->model, batch_size, &badInput, &error);
    if (!made)
      return report(errbuf, errlen, badInput ? TERN_ERROR_INVALID_ARGUMENT : TERN_ERROR_EXECUTION,
                    error);
    *batch = new tern_batch{std::move(made)};
    return TERN_OK;
  } catch (const std::bad_alloc &) {
    return report(errbuf, errlen, TERN_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

void tern_batch_destroy(tern_batch *batch) { delete batch; }

size_t tern_batch_size(const tern_batch *batch) { return batch ? batch->batch->size() : 0; }

tern_status tern_batch_reset(tern_batch *batch, size_t index) {
  if (!batch) return TERN_ERROR_INVALID_ARGUMENT;
  const size_t size = batch->batch->size();
  if (index != TERN_BATCH_ALL && index >= size) return TERN_ERROR_INVALID_ARGUMENT;
  std::string error;
  return batch->batch->reset(index == TERN_BATCH_ALL ? size : index, &error) ? TERN_OK
                                                                             : TERN_ERROR_EXECUTION;
}

tern_status tern_batch_step(tern_batch *batch, const int32_t *ids, size_t n, float *logits_out,
                            char *errbuf, size_t errlen) {
  clearError(errbuf, errlen);
  if (!batch) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "batch is null");
  return runStep(errbuf, errlen,
                 [&](std::string *error) { return batch->batch->step(ids, n, logits_out, error); });
}

tern_status tern_batch_get_state(const tern_batch *batch, size_t index, float *state_out,
                                 size_t count) {
  if (!batch || !state_out || index >= batch->batch->size() ||
      count != batch->batch->model().stateElements())
    return TERN_ERROR_INVALID_ARGUMENT;
  std::string error;
  return batch->batch->readState(index, state_out, &error) ? TERN_OK : TERN_ERROR_EXECUTION;
}

size_t tern_model_function_count(const tern_model *model) {
  return model ? model->model->functions().size() : 0;
}

const char *tern_model_function_name(const tern_model *model, size_t index) {
  if (!model || index >= model->model->functions().size()) return nullptr;
  return model->model->functions()[index].signature->name.c_str();
}

tern_status tern_model_function_arity(const tern_model *model, const char *name, size_t *num_args,
                                      size_t *num_results) {
  if (!model || !name || !num_args || !num_results) return TERN_ERROR_INVALID_ARGUMENT;
  const tern::LoadedFunction *fn = model->model->function(name);
  if (!fn) return TERN_ERROR_INVALID_ARGUMENT;
  *num_args = fn->signature->arguments.size();
  *num_results = fn->signature->results.size();
  return TERN_OK;
}

tern_status tern_model_call(tern_model *model, const char *name, const tern_tensor *args,
                            size_t num_args, tern_tensor *results, size_t num_results, char *errbuf,
                            size_t errlen) {
  clearError(errbuf, errlen);
  if (!model || !name) return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, "model or name is null");
  const tern::Model &loaded = *model->model;
  const tern::LoadedFunction *fn = loaded.function(name);
  if (!fn) {
    std::string known;
    for (const tern::LoadedFunction &f : loaded.functions())
      known += (known.empty() ? "" : ", ") + f.signature->name;
    return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT,
                  loaded.path() + ": no function \"" + name + "\" (" +
                      (known.empty() ? std::string("the artifact is a model, not a module")
                                     : "it has: " + known) +
                      ")");
  }
  try {
    std::string error;
    switch (loaded.call(*fn, args, num_args, results, num_results, &error)) {
      case tern::RunOutcome::Ok: return TERN_OK;
      case tern::RunOutcome::BadInput:
        return report(errbuf, errlen, TERN_ERROR_INVALID_ARGUMENT, error);
      case tern::RunOutcome::BrokenAbi:
        return report(errbuf, errlen, TERN_ERROR_EXECUTION, error);
    }
    return TERN_ERROR_EXECUTION;
  } catch (const std::bad_alloc &) {
    return report(errbuf, errlen, TERN_ERROR_OUT_OF_MEMORY, "out of memory");
  }
}

void tern_tensor_release(tern_tensor *tensor) {
  if (!tensor) return;
  std::free(tensor->data);
  tensor->data = nullptr;
}

}  // extern "C"
