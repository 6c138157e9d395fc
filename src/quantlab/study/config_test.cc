#include "quantlab/study/config.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "quantlab/zoo/zoo.h"

namespace quantlab::study {
namespace {

// A minimal valid configuration; tests change one thing in it.
nlohmann::json minimal() {
  return nlohmann::json::parse(R"({
    "datasets": [{"name": "har", "kind": "har", "samples": 300}],
    "models": [{"family": "SmartWatch", "size": "lean", "arch": "smartwatch-lean", "dataset": "har"}]
  })");
}

std::string error_of(const nlohmann::json& doc) {
  auto parsed = parse_study_config(doc.dump(), "study.json");
  EXPECT_FALSE(parsed.ok()) << doc.dump();
  return parsed.ok() ? "" : parsed.status().message();
}

TEST(StudyConfig, MinimalConfigTakesDefaults) {
  auto parsed = parse_study_config(minimal().dump(), "study.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->models.size(), 1u);
  EXPECT_EQ(parsed->stages.size(), 3u);
  EXPECT_EQ(parsed->strategies.size(), 2u);
  EXPECT_EQ(parsed->schemes.size(), 5u);
  EXPECT_EQ(parsed->datasets[0].samples, 300);
  EXPECT_EQ(parsed->eval_split, "test");
}

TEST(StudyConfig, UnknownArchitectureNamesSourceKeyValueAndKnownNames) {
  nlohmann::json doc = minimal();
  doc["models"][0]["arch"] = "foo";
  const std::string message = error_of(doc);
  EXPECT_NE(message.find("study.json: models[0].arch"), std::string::npos) << message;
  EXPECT_NE(message.find("'foo'"), std::string::npos) << message;
  EXPECT_NE(message.find("smartwatch-lean"), std::string::npos) << message;
}

TEST(StudyConfig, MisspeltArchitectureSuggestsTheNearestName) {
  nlohmann::json doc = minimal();
  doc["models"][0]["arch"] = "bspc-gap-lea";
  EXPECT_NE(error_of(doc).find("did you mean 'bspc-gap-lean'"), std::string::npos);
}

TEST(StudyConfig, UnknownKeysAreErrorsWithSuggestions) {
  nlohmann::json doc = minimal();
  doc["trainig"] = nlohmann::json::object();
  std::string message = error_of(doc);
  EXPECT_NE(message.find("study.json: trainig: unknown key"), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'training'"), std::string::npos) << message;

  doc = minimal();
  doc["training"] = {{"epoch", 3}};
  message = error_of(doc);
  EXPECT_NE(message.find("training.epoch: unknown key"), std::string::npos) << message;
  EXPECT_NE(message.find("'epochs'"), std::string::npos) << message;

  doc = minimal();
  doc["datasets"][0]["lengthh"] = 3;
  EXPECT_NE(error_of(doc).find("datasets[0].lengthh: unknown key"), std::string::npos);
}

TEST(StudyConfig, BadValuesNameKeyAndValue) {
  nlohmann::json doc = minimal();
  doc["pruning"] = {{"sparsity", 1.5}};
  std::string message = error_of(doc);
  EXPECT_NE(message.find("pruning.sparsity: 1.5 is out of range"), std::string::npos) << message;

  doc = minimal();
  doc["training"] = {{"epochs", "ten"}};
  message = error_of(doc);
  EXPECT_NE(message.find("training.epochs: expected an integer, got \"ten\""), std::string::npos) << message;

  doc = minimal();
  doc["schemes"] = {"float", "fiq-int9"};
  message = error_of(doc);
  EXPECT_NE(message.find("schemes[1]: unknown value \"fiq-int9\""), std::string::npos) << message;
  EXPECT_NE(message.find("did you mean 'fiq-int8'"), std::string::npos) << message;

  doc = minimal();
  doc["stages"] = {"original", "original"};
  EXPECT_NE(error_of(doc).find("stages[1]: \"original\" is listed twice"), std::string::npos);

  doc = minimal();
  doc["models"][0]["dataset"] = "ecg";
  message = error_of(doc);
  EXPECT_NE(message.find("models[0].dataset: unknown dataset \"ecg\" (defined: har)"), std::string::npos) << message;

  doc = minimal();
  doc["datasets"][0]["kind"] = "eeg";
  EXPECT_NE(error_of(doc).find("datasets[0].kind: unknown value \"eeg\" (known: har, ecg)"), std::string::npos);

  doc = minimal();
  doc["models"].push_back(doc["models"][0]);
  EXPECT_NE(error_of(doc).find("models[1].arch: architecture \"smartwatch-lean\" appears twice"), std::string::npos);

  doc = minimal();
  doc["models"][0]["family"] = "../../etc";
  EXPECT_NE(error_of(doc).find("models[0].family: \"../../etc\" must be a non-empty name"), std::string::npos);

  doc = minimal();
  doc.erase("models");
  EXPECT_NE(error_of(doc).find("study.json: models: missing"), std::string::npos);
}

TEST(StudyConfig, InvalidJsonNamesTheSourceAndPosition) {
  auto parsed = parse_study_config("{\"name\": \"x\",, }", "my.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message().rfind("my.json: not valid JSON: ", 0), 0u) << parsed.status().message();
  EXPECT_NE(parsed.status().message().find("line 1"), std::string::npos) << parsed.status().message();

  for (const std::string text : {"", "[]", "3", "null", "\"text\""}) {
    auto p = parse_study_config(text, "x.json");
    EXPECT_FALSE(p.ok()) << text;
  }
  // Deep nesting is refused before parsing.
  auto deep = parse_study_config(std::string(100000, '['), "deep.json");
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nested"), std::string::npos);
}

TEST(StudyConfig, EveryPrefixAndByteFlipOfAConfigIsHandled) {
  const std::string text = config_to_json(builtin_study("quick")).dump();
  int accepted = 0;
  for (size_t n = 0; n < text.size(); n += 7) {
    auto parsed = parse_study_config(text.substr(0, n), "prefix");
    accepted += parsed.ok() ? 1 : 0;
  }
  EXPECT_EQ(accepted, 0);  // no proper prefix of an object is a complete JSON object
  for (size_t i = 0; i < text.size(); i += 5) {
    std::string flipped = text;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    auto parsed = parse_study_config(flipped, "flipped");
    if (parsed.ok()) {
      EXPECT_TRUE(parse_study_config(config_to_json(*parsed).dump(), "again").ok());
    }
  }
}

TEST(StudyConfig, BuiltinProfilesParseRoundTripAndUseKnownArchitectures) {
  for (const std::string profile : {"quick", "full"}) {
    const StudyConfig config = builtin_study(profile);
    EXPECT_EQ(config.profile, profile);
    const nlohmann::json doc = config_to_json(config);
    auto parsed = parse_study_config(doc.dump(2), profile);
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(config_to_json(*parsed), doc);
    // The original study's design: three families, lean and fat, every stage, both
    // strategies and all five schemes = 180 pipelines.
    std::set<std::string> families, archs;
    for (const ModelConfig& m : config.models) {
      families.insert(m.family);
      archs.insert(m.arch);
      EXPECT_NE(zoo::find_architecture(m.arch), nullptr) << m.arch;
      EXPECT_TRUE(m.size == "lean" || m.size == "fat");
    }
    EXPECT_EQ(families, (std::set<std::string>{"SmartWatch", "BSPC", "BSPC-GAP"}));
    EXPECT_EQ(archs.size(), zoo::architectures().size());
    EXPECT_EQ(config.models.size() * config.stages.size() * config.strategies.size() * config.schemes.size(), 180u);
  }
  // The original study's sparsities, by the names of its pruned models.
  const StudyConfig full = builtin_study("full");
  EXPECT_DOUBLE_EQ(*full.models[0].sparsity, 0.65);  // model_after_pruning_lean_0.65
  EXPECT_DOUBLE_EQ(*full.models[2].sparsity, 0.90);  // BSPC_seq_param100K_pruned_90
  EXPECT_DOUBLE_EQ(*full.models[3].sparsity, 0.80);  // BSPC_seq_param4M_pruned_80
  EXPECT_DOUBLE_EQ(*full.models[4].sparsity, 0.85);  // BSPC_res_param250K_pruned_85
  EXPECT_FALSE(builtin_study("quick").profile_notes.empty());
  EXPECT_TRUE(is_builtin_profile("quick"));
  EXPECT_FALSE(is_builtin_profile("medium"));
}

TEST(StudyConfig, OverridesRoundTrip) {
  nlohmann::json doc = minimal();
  doc["models"][0]["sparsity"] = 0.5;
  doc["models"][0]["factor_method"] = "svd";
  doc["models"][0]["factor_rank"] = 3;
  doc["strategies"] = {"qat"};
  doc["eval_split"] = "val";
  auto parsed = parse_study_config(doc.dump(), "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_DOUBLE_EQ(*parsed->models[0].sparsity, 0.5);
  EXPECT_EQ(*parsed->models[0].factor_method, compress::FactorMethod::kSvd);
  EXPECT_EQ(*parsed->models[0].factor_rank, 3);
  EXPECT_EQ(parsed->strategies, std::vector<Strategy>{Strategy::kQat});
  auto again = parse_study_config(config_to_json(*parsed).dump(), "again");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(config_to_json(*again), config_to_json(*parsed));
}

TEST(StudyConfig, RestrictToFamiliesKeepsTheirModelsAndDatasets) {
  StudyConfig config = builtin_study("quick");
  ASSERT_TRUE(restrict_to_families(&config, {"smartwatch"}).ok());
  ASSERT_EQ(config.models.size(), 2u);
  ASSERT_EQ(config.datasets.size(), 1u);
  EXPECT_EQ(config.datasets[0].kind, DatasetKind::kHar);
  const Status unknown = restrict_to_families(&config, {"Fitbit"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("'Fitbit'"), std::string::npos);
}

}  // namespace
}  // namespace quantlab::study
